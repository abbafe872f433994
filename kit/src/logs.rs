//! Structured logs on standard output: pretty for a person, JSON for a collector. Colours only
//! when standard output is a terminal, so a log file or a pipe holds plain text.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable lines.
    Pretty,
    /// One JSON object a line, the event's fields flattened.
    Json,
}

/// Installs the global subscriber once (later calls, as in tests, are no-ops). `RUST_LOG`
/// wins over `filter`; a filter that does not parse falls back to `info`.
pub fn init(filter: &str, format: Format) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour);
    let _ = match format {
        Format::Json => builder.json().flatten_event(true).try_init(),
        Format::Pretty => builder.try_init(),
    };
}
