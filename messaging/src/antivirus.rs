//! The antivirus hook, when `[attachments.clamd]` is configured: each upload's plain content
//! goes to clamd as it arrives, by its INSTREAM command (clamd(8)): `zINSTREAM\0`, then chunks
//! each preceded by its length (4 bytes, network order), then a zero length; clamd answers
//! `stream: OK` or `stream: <signature> FOUND`. A scan that cannot finish refuses the upload
//! (fail closed): clamd's `StreamMaxLength` must be at least `attachments.max_bytes`.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::config::ClamdConfig;

/// Largest chunk sent in one INSTREAM frame.
const FRAME: usize = 1024 * 1024;
/// Longest answer read from clamd.
const ANSWER_MAX: u64 = 4096;

/// Where clamd listens.
#[derive(Debug, Clone)]
pub struct Scanner {
    address: SocketAddr,
    timeout: Duration,
}

/// A scan in progress (one connection to clamd).
#[derive(Debug)]
pub struct Scan {
    stream: TcpStream,
    timeout: Duration,
}

/// What clamd found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing.
    Clean,
    /// A signature matched (its name).
    Infected(String),
}

/// A scan that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// clamd could not be reached or went away.
    #[error("clamd unreachable: {0}")]
    Unreachable(#[from] std::io::Error),
    /// clamd took longer than the configured timeout.
    #[error("clamd timed out")]
    TimedOut,
    /// clamd answered something else than a verdict (its size limit, an error).
    #[error("clamd answered: {0}")]
    Refused(String),
}

impl Scanner {
    /// The scanner `config` names (its address was checked with the configuration).
    pub fn new(config: &ClamdConfig) -> anyhow::Result<Self> {
        Ok(Self {
            address: config.address.parse()?,
            timeout: Duration::from_millis(config.timeout_ms),
        })
    }

    /// Opens a scan.
    pub async fn start(&self) -> Result<Scan, ScanError> {
        let mut stream = within(self.timeout, TcpStream::connect(self.address)).await??;
        within(self.timeout, stream.write_all(b"zINSTREAM\0")).await??;
        Ok(Scan {
            stream,
            timeout: self.timeout,
        })
    }
}

impl Scan {
    /// Sends more of the content.
    pub async fn feed(&mut self, bytes: &[u8]) -> Result<(), ScanError> {
        for frame in bytes.chunks(FRAME) {
            let len = u32::try_from(frame.len()).unwrap_or(u32::MAX).to_be_bytes();
            within(self.timeout, self.stream.write_all(&len)).await??;
            within(self.timeout, self.stream.write_all(frame)).await??;
        }
        Ok(())
    }

    /// Ends the content and reads clamd's verdict.
    pub async fn verdict(mut self) -> Result<Verdict, ScanError> {
        within(self.timeout, self.stream.write_all(&0u32.to_be_bytes())).await??;
        let mut answer = Vec::new();
        let mut limited = (&mut self.stream).take(ANSWER_MAX);
        within(self.timeout, limited.read_to_end(&mut answer)).await??;
        parse(&answer)
    }
}

/// `stream: OK\0` → clean; `stream: NAME FOUND\0` → infected; anything else is refused.
fn parse(answer: &[u8]) -> Result<Verdict, ScanError> {
    let text = String::from_utf8_lossy(answer);
    let text = text.trim_end_matches(['\0', '\n']).trim();
    let rest = text.strip_prefix("stream:").map(str::trim);
    match rest {
        Some("OK") => Ok(Verdict::Clean),
        Some(found) if found.ends_with(" FOUND") => Ok(Verdict::Infected(
            found.trim_end_matches(" FOUND").trim().to_owned(),
        )),
        _ => Err(ScanError::Refused(text.chars().take(200).collect())),
    }
}

async fn within<T>(
    timeout: Duration,
    f: impl std::future::Future<Output = T>,
) -> Result<T, ScanError> {
    tokio::time::timeout(timeout, f)
        .await
        .map_err(|_| ScanError::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamd_answers_are_read_as_verdicts_or_refusals() {
        assert_eq!(parse(b"stream: OK\0").ok(), Some(Verdict::Clean));
        assert_eq!(
            parse(b"stream: Eicar-Test-Signature FOUND\0").ok(),
            Some(Verdict::Infected("Eicar-Test-Signature".into()))
        );
        assert!(matches!(
            parse(b"INSTREAM size limit exceeded. ERROR\0"),
            Err(ScanError::Refused(_))
        ));
        assert!(matches!(parse(b""), Err(ScanError::Refused(_))));
    }
}

/// Any answer from clamd is a verdict or refused, never a panic.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_answer_is_a_verdict_or_refused(answer in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&answer);
        }
    }
}
