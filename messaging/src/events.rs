//! New messages and thread changes, pushed to every open inbox and thread on every node:
//! a change writes `pg_notify` in its own transaction (delivered only if it commits); each
//! node keeps one `LISTEN` connection to Postgres and fans the events out to its subscribers
//! (server-sent events, `api::events`). Events carry ids, never content: a client that sees
//! one reloads the page or the thread through the API, with every access check.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::store::{GenericClient, StoreError, sql};

/// The Postgres channel; a deployment in a schema of its own (tests) gets a channel of its
/// own, since channels are per database.
fn channel(schema: Option<&str>) -> String {
    match schema {
        Some(schema) => format!("messaging_events_{schema}"),
        None => "messaging_events".to_owned(),
    }
}

/// What changed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ThreadEvent {
    /// The thread.
    pub thread: Uuid,
    /// Its professional's `sub` (who on the professional side may hear it).
    pub professional: String,
    /// Its team (who on the agency side may hear it).
    pub team: String,
    /// `message` (a new message), `note` (an internal note: agency side only) or `state`.
    pub kind: String,
}

impl ThreadEvent {
    /// The notification's payload.
    pub fn payload(&self) -> Result<String, StoreError> {
        serde_json::to_string(self).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

/// This node's fan-out of the events of every node.
#[derive(Debug, Clone)]
pub struct Hub {
    sender: broadcast::Sender<ThreadEvent>,
    channel: String,
}

impl Hub {
    /// Starts listening on `url` (a connection of its own, reconnected after a failure).
    pub fn start(url: String, schema: Option<String>) -> Self {
        let (sender, _) = broadcast::channel(1024);
        let channel = channel(schema.as_deref());
        let hub = Self {
            sender,
            channel: channel.clone(),
        };
        let forward = hub.sender.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&url, &channel, &forward).await {
                    tracing::warn!(error = %crate::error::Chain(&e), "event listener lost; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        hub
    }

    /// Announces `event` when the caller's transaction commits.
    pub async fn publish(
        &self,
        tx: &impl GenericClient,
        event: &ThreadEvent,
    ) -> Result<(), StoreError> {
        const SQL: &str = "SELECT pg_notify($1, $2)::text";
        sql::query_one(tx, SQL, &[&self.channel, &event.payload()?]).await?;
        Ok(())
    }

    /// The Postgres channel (for statements that announce as they write).
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// A new subscriber.
    pub fn subscribe(&self) -> broadcast::Receiver<ThreadEvent> {
        self.sender.subscribe()
    }
}

async fn listen(
    url: &str,
    channel: &str,
    forward: &broadcast::Sender<ThreadEvent>,
) -> Result<(), tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.application_name("messaging-events");
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let (notes, mut received) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            let message = std::future::poll_fn(|cx| connection.poll_message(cx)).await;
            match message {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                    if notes.send(n.payload().to_owned()).is_err() {
                        return Ok(());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            }
        }
    });
    // The channel is `messaging_events[_<schema>]`, the schema checked to be [a-z0-9_]+.
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    tracing::info!("listening for thread events");
    while let Some(payload) = received.recv().await {
        match serde_json::from_str::<ThreadEvent>(&payload) {
            // No subscriber is not an error.
            Ok(event) => drop(forward.send(event)),
            Err(e) => tracing::warn!(error = %e, "an event that does not parse"),
        }
    }
    match driver.await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}
