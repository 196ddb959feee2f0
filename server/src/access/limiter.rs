//! Sign-in rate limiting: failures are counted per user name and per client address, and
//! too many within the window lock that name or address out for a while.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::config::AuthConfig;

/// Beyond this many tracked names and addresses, stale entries are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: i64,
    locked_until: i64,
}

/// Counts failed sign-ins in memory. Lockouts end by themselves; a restart forgets them,
/// which only helps an attacker who can restart the server.
#[derive(Debug)]
pub struct SignInLimiter {
    entries: Mutex<HashMap<String, Failures>>,
    per_user: u32,
    per_client: u32,
    window: i64,
}

fn user_key(user: &str) -> String {
    format!("u:{}", user.to_lowercase())
}

fn client_key(client: &str) -> String {
    format!("c:{client}")
}

impl SignInLimiter {
    pub fn new(cfg: &AuthConfig) -> Self {
        Self {
            entries: Mutex::default(),
            per_user: cfg.max_failures_per_user.get(),
            per_client: cfg.max_failures_per_client.get(),
            window: (cfg.lockout_minutes.get() * 60) as i64,
        }
    }

    /// Seconds until a sign-in by `user` from `client` may be tried, if either is locked.
    pub fn locked(&self, user: &str, client: &str, now: i64) -> Option<i64> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        [user_key(user), client_key(client)]
            .iter()
            .filter_map(|k| entries.get(k))
            .map(|f| f.locked_until - now)
            .filter(|wait| *wait > 0)
            .max()
    }

    /// Counts a failure against both the user name and the client address.
    pub fn failed(&self, user: &str, client: &str, now: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() > PRUNE_ABOVE {
            let window = self.window;
            entries.retain(|_, f| f.locked_until > now || now - f.first < window);
        }
        for (key, max) in [
            (user_key(user), self.per_user),
            (client_key(client), self.per_client),
        ] {
            let f = entries.entry(key).or_insert(Failures {
                count: 0,
                first: now,
                locked_until: 0,
            });
            if now - f.first >= self.window && f.locked_until <= now {
                *f = Failures {
                    count: 0,
                    first: now,
                    locked_until: 0,
                };
            }
            f.count += 1;
            if f.count >= max {
                f.locked_until = now + self.window;
            }
        }
    }

    /// A successful sign-in clears the user name's failures (not the address's: one good
    /// account must not reset the count for guesses at others).
    pub fn succeeded(&self, user: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(&user_key(user));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> SignInLimiter {
        SignInLimiter::new(&AuthConfig::default())
    }

    #[test]
    fn five_failures_lock_the_user_for_fifteen_minutes() {
        let l = limiter();
        for i in 0..5 {
            assert_eq!(l.locked("Tanaka", "10.0.0.1", 100 + i), None);
            l.failed("Tanaka", "10.0.0.1", 100 + i);
        }
        assert_eq!(l.locked("tanaka", "10.0.0.2", 104), Some(900));
        assert_eq!(l.locked("tanaka", "10.0.0.2", 104 + 899), Some(1));
        assert_eq!(l.locked("tanaka", "10.0.0.2", 104 + 900), None);
        assert_eq!(l.locked("sato", "10.0.0.1", 105), None);
    }

    #[test]
    fn failures_spread_over_more_than_the_window_do_not_lock() {
        let l = limiter();
        for i in 0..10 {
            l.failed("tanaka", "10.0.0.1", i * 400);
            assert_eq!(l.locked("tanaka", "10.0.0.9", i * 400), None, "{i}");
        }
    }

    #[test]
    fn one_client_guessing_many_names_is_locked() {
        let l = limiter();
        for i in 0..20 {
            l.failed(&format!("user{i}"), "203.0.113.5", 100);
        }
        assert!(l.locked("someone-else", "203.0.113.5", 101).is_some());
        assert!(l.locked("someone-else", "203.0.113.6", 101).is_none());
    }

    #[test]
    fn success_clears_the_users_count() {
        let l = limiter();
        for _ in 0..4 {
            l.failed("tanaka", "10.0.0.1", 100);
        }
        l.succeeded("tanaka");
        l.failed("tanaka", "10.0.0.1", 101);
        assert_eq!(l.locked("tanaka", "10.0.0.2", 101), None);
    }
}
