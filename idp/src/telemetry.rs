//! Structured logs: pretty in development, JSON in production (`service_kit::logs`). Secrets
//! never reach a log line because their types print `[redacted]`.

use crate::config::{LogFormat, TelemetryConfig};

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(config: &TelemetryConfig) {
    let format = match config.format {
        LogFormat::Json => service_kit::logs::Format::Json,
        LogFormat::Pretty => service_kit::logs::Format::Pretty,
    };
    service_kit::logs::init(&config.filter, format);
}
