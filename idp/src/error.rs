//! What every error type shares: a boxed cause that keeps its source chain, and the one way a
//! chain is written into a log line (`error = %Chain(&e)`), so the logs show why, not only what.

use std::error::Error;
use std::fmt;

/// A cause from below, boxed so that `source()` still reaches it and everything under it.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Displays an error and each of its sources, outermost first: `a: b: c`.
///
/// Some errors (tokio-postgres's among them) repeat their source in their own message; a source
/// whose text the previous message already ends with is not written twice.
#[derive(Debug)]
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut previous = self.0.to_string();
        f.write_str(&previous)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !previous.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            previous = text;
            next = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("outer failed")]
        Wrapped(#[source] BoxError),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("middle: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn a_chain_lists_every_cause_outermost_first() {
        let io = std::io::Error::other("disk on fire");
        let e = Outer::Wrapped(Box::new(io));
        assert_eq!(Chain(&e).to_string(), "outer failed: disk on fire");
    }

    #[test]
    fn a_cause_its_wrapper_already_printed_is_written_once() {
        let e = Outer::Wrapped(Box::new(Repeats(std::io::Error::other("x"))));
        assert_eq!(Chain(&e).to_string(), "outer failed: middle: x");
    }
}
