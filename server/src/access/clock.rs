//! The access module's idea of "now", which tests can move forward.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::time::unix_now;

/// Wall-clock Unix seconds plus an offset. Sessions, lockouts, grants and audit times all
/// read it, so a test can step past an expiry without sleeping.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> i64 {
        unix_now() + self.offset.load(Ordering::Relaxed)
    }

    /// Moves this clock forward by `secs` (tests only; nothing in the server calls it).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}
