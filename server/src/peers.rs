//! Primaries that share one PostgreSQL database and one layer store behave as one: a
//! publish or rollback on any of them is served by all, within moments, through PostgreSQL
//! `LISTEN/NOTIFY` (no polling).
//!
//! - **Sending.** After a publish or rollback here (the publisher's `on_change`), the
//!   primary sends `NOTIFY kashimap_layers` with `{"node", "layer", "version"}` on a pooled
//!   connection. A failed notification is logged; the publish itself has succeeded.
//! - **Listening.** One thread holds its own connection in `LISTEN kashimap_layers`. Each
//!   notification from another node makes it [`publish::follow`] the layer: load what the
//!   store now says is current, with every derived index, and swap it in. The store, not
//!   the payload, is the truth, so notifications arriving out of order or twice are harmless.
//! - **Definitions.** Layers created or removed at run time are announced the same way
//!   (the version is that of the new layer, or none after a removal). The listener first
//!   follows the definition ([`publish::follow_definition`]): a layer the shared catalog
//!   (`catalog/` of the shared store folder, or of the bucket) holds and this primary does
//!   not serve is loaded, its first version built before it joins the set; a created layer
//!   whose definition is gone stops being served. Then it follows the version as for a
//!   publish.
//! - **Reconnecting.** When the connection breaks (PostgreSQL restarting), the thread
//!   reconnects with back-off and then follows every definition and every layer once,
//!   catching anything created, removed or published while it could not hear.

use std::sync::Arc;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator as _;
use serde::{Deserialize, Serialize};

use crate::access::{AccessError, PgPool};
use crate::publish::{self, Followed, Listener, Publisher};

/// The notification channel.
pub const CHANNEL: &str = "kashimap_layers";

/// What a primary announces after switching a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The sending process (so it ignores its own notifications).
    pub node: String,
    pub layer: String,
    pub version: Option<u64>,
}

/// Connects this primary to the others: announces its publishes and follows theirs. Starts
/// the listening thread; returns this process's node id.
pub fn join(pool: &Arc<PgPool>, publisher: &Arc<Publisher>) -> Result<String, AccessError> {
    let node = crate::access::secret::random_hex()?
        .get(..12)
        .unwrap_or_default()
        .to_owned();
    let (send_pool, send_publisher, me) = (Arc::clone(pool), Arc::clone(publisher), node.clone());
    publisher.on_change(Listener(Box::new(move |layer| {
        let change = Change {
            node: me.clone(),
            layer: layer.to_owned(),
            version: send_publisher.served_version(layer),
        };
        if let Err(e) = announce(&send_pool, &change) {
            tracing::warn!(layer, error = %e, "cannot notify the other primaries");
        }
    })));
    let (pool, publisher, me) = (Arc::clone(pool), Arc::clone(publisher), node.clone());
    std::thread::Builder::new()
        .name("kashimap-peers".into())
        .spawn(move || listen_forever(&pool, &publisher, &me))
        .map_err(|e| AccessError::Task(format!("cannot start the peers thread: {e}")))?;
    tracing::info!(node, channel = CHANNEL, "following the other primaries");
    Ok(node)
}

/// Sends one change to every listening primary.
pub fn announce(pool: &PgPool, change: &Change) -> Result<(), AccessError> {
    let payload = serde_json::to_string(change).map_err(|e| AccessError::Task(e.to_string()))?;
    pool.notify(CHANNEL, &payload)
}

fn listen_forever(pool: &PgPool, publisher: &Publisher, me: &str) {
    let mut backoff = Duration::from_millis(250);
    loop {
        match listen(pool, publisher, me) {
            Ok(()) => backoff = Duration::from_millis(250),
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64,
                    "lost the other primaries' notifications; reconnecting");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// One connection's life: LISTEN, catch up, then follow every notification until it breaks.
fn listen(pool: &PgPool, publisher: &Publisher, me: &str) -> Result<(), AccessError> {
    let mut client = pool.connect()?;
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(crate::access::pg_error)?;
    for layer in publish::created_ids(publisher) {
        follow_definition(publisher, &layer, "catch-up");
    }
    for layer in publisher.layer_ids() {
        follow(publisher, &layer, "catch-up");
    }
    let mut notifications = client.notifications();
    let mut it = notifications.blocking_iter();
    loop {
        let Some(n) = it.next().map_err(crate::access::pg_error)? else {
            return Err(AccessError::Unavailable(
                "the notification connection closed".into(),
            ));
        };
        match serde_json::from_str::<Change>(n.payload()) {
            Ok(c) if c.node == me => {}
            Ok(c) => {
                if follow_definition(publisher, &c.layer, &c.node) != Some(Followed::Removed) {
                    follow(publisher, &c.layer, &c.node);
                }
            }
            Err(e) => tracing::warn!(payload = n.payload(), error = %e, "unreadable notification"),
        }
    }
}

fn follow_definition(publisher: &Publisher, layer: &str, from: &str) -> Option<Followed> {
    match publish::follow_definition(publisher, layer) {
        Ok(Some(Followed::Added(version))) => {
            tracing::info!(
                layer,
                version,
                from,
                "serving a layer another primary created"
            );
            Some(Followed::Added(version))
        }
        Ok(Some(Followed::Removed)) => {
            tracing::info!(
                layer,
                from,
                "stopped serving a layer another primary removed"
            );
            Some(Followed::Removed)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::error!(layer, from, error = %e, "cannot follow another primary's layer definition");
            None
        }
    }
}

fn follow(publisher: &Publisher, layer: &str, from: &str) {
    match publish::follow(publisher, layer) {
        Ok(Some(version)) => {
            tracing::info!(
                layer,
                version,
                from,
                "serving a version another primary made current"
            );
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(layer, from, error = %e, "cannot follow another primary's change");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_round_trips_as_json() {
        let c = Change {
            node: "abc".into(),
            layer: "shelters".into(),
            version: Some(7),
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), c);
    }

    /// With `KASHIMAP_TEST_POSTGRES` (scripts/test): an announced change reaches a listener.
    #[test]
    fn an_announcement_reaches_a_listening_connection() {
        let db = crate::access::Db::open_for_tests().unwrap();
        let Some(pool) = db.postgres() else { return };
        let mut listener = pool.connect().unwrap();
        listener
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .unwrap();
        let c = Change {
            node: "test-node".into(),
            layer: "pipes".into(),
            version: Some(3),
        };
        announce(pool, &c).unwrap();
        let mut notifications = listener.notifications();
        let mut heard = notifications.timeout_iter(Duration::from_secs(5));
        let n = heard.next().unwrap().expect("a notification within 5 s");
        assert_eq!(n.channel(), CHANNEL);
        assert_eq!(serde_json::from_str::<Change>(n.payload()).unwrap(), c);
    }
}
