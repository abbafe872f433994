//! An SMTP sink: a real SMTP server on 127.0.0.1 (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA with
//! dot-unstuffing, RSET, NOOP, QUIT) that keeps every message it accepts, parsed with
//! `mail-parser`. It can be stopped (connections refused, open ones cut) and restarted on the
//! same port, to play an SMTP outage.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders as _};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// How long `wait_for` waits.
const WAIT: Duration = Duration::from_secs(10);

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The `From:` address.
    pub from: String,
    /// The decoded `Subject:`.
    pub subject: String,
    /// The text/plain part (empty if none).
    pub text: String,
    /// The text/html part (empty if none).
    pub html: String,
    /// The message as it came, after dot-unstuffing.
    pub raw: String,
}

impl Mail {
    /// The web links of the text part, in order (how a test follows an e-mailed link).
    pub fn links(&self) -> Vec<String> {
        self.text
            .split_whitespace()
            .filter(|word| word.starts_with("https://") || word.starts_with("http://"))
            .map(str::to_owned)
            .collect()
    }
}

/// A running SMTP sink; clones share it.
#[derive(Clone)]
pub struct Sink(Arc<Inner>);

struct Inner {
    port: u16,
    received: Mutex<Vec<Mail>>,
    arrived: Notify,
    /// The accept loop; it owns the listener and every connection.
    server: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink").field("port", &self.0.port).finish()
    }
}

impl Sink {
    /// Listens on a free port of 127.0.0.1 (inside a Tokio runtime).
    pub fn start() -> Sink {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = Sink(Arc::new(Inner {
            port,
            received: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            server: Mutex::new(None),
        }));
        listener.set_nonblocking(true).unwrap();
        sink.serve(TcpListener::from_std(listener).unwrap());
        sink
    }

    /// The port it listens on (the same after a restart).
    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// Every message received so far, oldest first.
    pub async fn messages(&self) -> Vec<Mail> {
        self.0.received.lock().unwrap().clone()
    }

    /// The messages to `to` (case-insensitive), oldest first.
    pub async fn messages_to(&self, to: &str) -> Vec<Mail> {
        self.messages()
            .await
            .into_iter()
            .filter(|m| m.to.iter().any(|r| r.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Waits until at least `n` messages to `to` have arrived (at most 10 s); panics otherwise,
    /// naming what did arrive.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let arrived = self.0.arrived.notified();
            let messages = self.messages_to(to).await;
            if messages.len() >= n {
                return messages;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let all: Vec<_> = self
                    .messages()
                    .await
                    .into_iter()
                    .map(|m| format!("{:?}: {}", m.to, m.subject))
                    .collect();
                panic!(
                    "expected {n} message(s) to {to} within {WAIT:?}, got {}; the sink holds {all:?}",
                    messages.len()
                );
            }
        }
    }

    /// Stops listening: new connections are refused and open ones are cut.
    pub async fn stop(&self) {
        let server = self.0.server.lock().unwrap().take();
        if let Some(server) = server {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&self) {
        self.stop().await;
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.0.port)).await {
                Ok(listener) => break listener,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("the sink cannot listen on port {} again: {e}", self.0.port),
            }
        };
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let inner = self.0.clone();
        let server = tokio::spawn(async move {
            // Dropped with this task: aborting it closes every connection too.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            connections.spawn(session(stream, inner.clone()));
                        }
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        *self.0.server.lock().unwrap() = Some(server);
    }
}

/// One SMTP session (RFC 5321 §4.1), lenient about everything but the protocol's order.
async fn session(stream: TcpStream, inner: Arc<Inner>) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut reply = async |line: &str| write.write_all(line.as_bytes()).await.is_ok();
    if !reply("220 127.0.0.1 ESMTP test sink\r\n").await {
        return;
    }
    let mut recipients: Vec<String> = Vec::new();
    let mut in_transaction = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => "250-127.0.0.1 greets you\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" => "250 127.0.0.1\r\n",
            "MAIL" => {
                recipients.clear();
                in_transaction = true;
                "250 OK\r\n"
            }
            "RCPT" if in_transaction => {
                recipients.push(angle_address(&command));
                "250 OK\r\n"
            }
            "DATA" if !recipients.is_empty() => {
                if !reply("354 End data with <CR><LF>.<CR><LF>\r\n").await {
                    return;
                }
                let Some(raw) = read_data(&mut read).await else {
                    return;
                };
                let mail = parse(std::mem::take(&mut recipients), raw);
                inner.received.lock().unwrap().push(mail);
                inner.arrived.notify_waiters();
                in_transaction = false;
                "250 OK: queued\r\n"
            }
            "RCPT" | "DATA" => "503 Bad sequence of commands\r\n",
            "RSET" => {
                recipients.clear();
                in_transaction = false;
                "250 OK\r\n"
            }
            "NOOP" => "250 OK\r\n",
            "QUIT" => {
                reply("221 Bye\r\n").await;
                return;
            }
            _ => "502 Command not implemented\r\n",
        };
        if !reply(answer).await {
            return;
        }
    }
}

/// The message lines up to the lone ".", with the leading dot of stuffed lines removed
/// (RFC 5321 §4.5.2).
async fn read_data(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(data);
        }
        let unstuffed = if line.starts_with(b".") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(unstuffed);
    }
}

/// `<a@b>` out of `RCPT TO:<a@b> PARAMS`.
fn angle_address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}

fn parse(to: Vec<String>, raw: Vec<u8>) -> Mail {
    let message = MessageParser::default()
        .parse(&raw)
        .expect("the sink received a message that does not parse");
    let part_of = |kind: &str| {
        message
            .parts
            .iter()
            .find(|part| {
                part.content_type()
                    .is_some_and(|ct| ct.ctype() == "text" && ct.subtype() == Some(kind))
            })
            .and_then(|part| part.text_contents())
            .unwrap_or_default()
            .to_owned()
    };
    Mail {
        from: message
            .from()
            .and_then(|from| from.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned(),
        subject: message.subject().unwrap_or_default().to_owned(),
        text: part_of("plain"),
        html: part_of("html"),
        raw: String::from_utf8_lossy(&raw).into_owned(),
        to,
    }
}
