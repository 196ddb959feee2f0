//! Sign-in rate limiting. An attempt is counted when it is admitted, before its password is
//! checked, so however many guesses arrive at once, at most the limit is ever evaluated.
//!
//! Three counters, each over the lockout window:
//! - per (user name, address): `max_failures_per_user` guesses, then that pair waits out
//!   the window. This is what stops one attacker guessing one account.
//! - per address: `max_failures_per_client` guesses at any names, then the address waits.
//! - per user name, from addresses the user has not recently signed in from: past
//!   `max_failures_per_user`, each further guess waits a delay that doubles (1 s, 2 s, 4 s…,
//!   at most the window). This slows guesses spread over many addresses, while the user's
//!   own known addresses are not held up by them (docs/security.md, "Lockout").

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::config::AuthConfig;

/// Beyond this many tracked keys, stale entries are dropped.
const PRUNE_ABOVE: usize = 10_000;

/// How long an address a user signed in from stays "known" to that user: 30 days.
const KNOWN_FOR_SECS: i64 = 30 * 86_400;

/// At most this many known addresses are kept per user name (the most recent).
const KNOWN_PER_USER: usize = 8;

#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    count: u32,
    first: i64,
    locked_until: i64,
}

impl Counter {
    fn expire(&mut self, now: i64, window: i64) {
        if now - self.first >= window && self.locked_until <= now {
            *self = Self {
                first: now,
                ..Self::default()
            };
        }
    }

    fn wait(&self, now: i64) -> Option<i64> {
        Some(self.locked_until - now).filter(|w| *w > 0)
    }
}

/// Which counters an admitted attempt was charged to.
#[derive(Debug)]
#[must_use = "an admitted attempt ends as a failure, a success or a give-back"]
pub struct Attempt {
    user: String,
    client: String,
    charged_user: bool,
}

#[derive(Debug, Default)]
struct State {
    counters: HashMap<String, Counter>,
    /// User name → (address, last successful sign-in).
    known: HashMap<String, Vec<(String, i64)>>,
}

/// Counts sign-in attempts in memory. Lockouts end by themselves; a restart forgets them
/// (and the known addresses), which only helps an attacker who can restart the server.
#[derive(Debug)]
pub struct SignInLimiter {
    state: Mutex<State>,
    per_user: u32,
    per_client: u32,
    window: i64,
}

fn user_key(user: &str) -> String {
    format!("u:{user}")
}

fn pair_key(user: &str, client: &str) -> String {
    format!("p:{client}:{user}")
}

fn client_key(client: &str) -> String {
    format!("c:{client}")
}

impl SignInLimiter {
    pub fn new(cfg: &AuthConfig) -> Self {
        Self {
            state: Mutex::default(),
            per_user: cfg.max_failures_per_user.get(),
            per_client: cfg.max_failures_per_client.get(),
            window: (cfg.lockout_minutes.get() * 60) as i64,
        }
    }

    /// Admits and counts one attempt by `user` from `client`, or says how many seconds to
    /// wait. Check and count happen under one lock, so parallel attempts cannot slip by.
    pub fn admit(&self, user: &str, client: &str, now: i64) -> Result<Attempt, i64> {
        let user = user.to_lowercase();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.counters.len() > PRUNE_ABOVE {
            let window = self.window;
            state
                .counters
                .retain(|_, c| c.locked_until > now || now - c.first < window);
            state
                .known
                .retain(|_, v| v.iter().any(|(_, at)| now - at < KNOWN_FOR_SECS));
        }
        let known = state.known.get(&user).is_some_and(|v| {
            v.iter()
                .any(|(c, at)| c == client && now - at < KNOWN_FOR_SECS)
        });
        let mut keys = vec![pair_key(&user, client), client_key(client)];
        if !known {
            keys.push(user_key(&user));
        }
        let window = self.window;
        let waits = keys.iter().filter_map(|k| {
            let c = state.counters.get(k)?;
            let mut c = *c;
            c.expire(now, window);
            c.wait(now)
        });
        if let Some(wait) = waits.max() {
            return Err(wait);
        }
        for key in &keys {
            let c = state.counters.entry(key.clone()).or_insert(Counter {
                first: now,
                ..Counter::default()
            });
            c.expire(now, window);
            c.count += 1;
            if let Some(kind) = key.chars().next() {
                c.locked_until = self
                    .lock_after(kind, c.count, now)
                    .unwrap_or(c.locked_until);
            }
        }
        Ok(Attempt {
            user,
            client: client.to_owned(),
            charged_user: !known,
        })
    }

    /// When a counter at `count` locks: the pair and the address for the window once at
    /// their limit, the user name for a delay that doubles past its limit.
    fn lock_after(&self, kind: char, count: u32, now: i64) -> Option<i64> {
        match kind {
            'p' if count >= self.per_user => Some(now + self.window),
            'c' if count >= self.per_client => Some(now + self.window),
            'u' if count >= self.per_user => {
                let doublings = (count - self.per_user).min(20);
                Some(now + (1_i64 << doublings).min(self.window))
            }
            _ => None,
        }
    }

    /// The attempt's password was wrong: its counts stand.
    pub fn failed(&self, attempt: Attempt) {
        drop(attempt);
    }

    /// The attempt succeeded: the user name's and the pair's counts are cleared, the
    /// address becomes known to the user, and the address gets its one attempt back (not
    /// its whole count: one good account must not reset the count for guesses at others).
    pub fn succeeded(&self, attempt: Attempt, now: i64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.counters.remove(&user_key(&attempt.user));
        state
            .counters
            .remove(&pair_key(&attempt.user, &attempt.client));
        Self::give_back(&mut state, &client_key(&attempt.client));
        let known = state.known.entry(attempt.user).or_default();
        known.retain(|(c, _)| *c != attempt.client);
        known.push((attempt.client, now));
        if known.len() > KNOWN_PER_USER {
            known.remove(0);
        }
    }

    /// The attempt was never evaluated (the server was too busy): all its counts go back.
    pub fn withdrawn(&self, attempt: Attempt) {
        let Attempt {
            user,
            client,
            charged_user,
        } = attempt;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut keys = vec![pair_key(&user, &client), client_key(&client)];
        if charged_user {
            keys.push(user_key(&user));
        }
        for key in keys {
            Self::give_back(&mut state, &key);
        }
    }

    fn give_back(state: &mut State, key: &str) {
        if let Some(c) = state.counters.get_mut(key) {
            c.count = c.count.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> SignInLimiter {
        SignInLimiter::new(&AuthConfig::default())
    }

    fn fail(l: &SignInLimiter, user: &str, client: &str, now: i64) -> Result<(), i64> {
        l.admit(user, client, now).map(|a| l.failed(a))
    }

    #[test]
    fn five_guesses_lock_the_name_from_that_address_for_fifteen_minutes() {
        let l = limiter();
        for i in 0..5 {
            assert_eq!(fail(&l, "Tanaka", "10.0.0.1", 100 + i), Ok(()));
        }
        assert_eq!(l.admit("tanaka", "10.0.0.1", 104).err(), Some(900));
        assert_eq!(l.admit("tanaka", "10.0.0.1", 104 + 899).err(), Some(1));
        assert!(l.admit("tanaka", "10.0.0.1", 104 + 900).is_ok());
        assert!(l.admit("sato", "10.0.0.1", 105).is_ok());
    }

    #[test]
    fn admitted_attempts_count_before_any_outcome() {
        // Many attempts in flight at once: only the limit is admitted.
        let l = limiter();
        let admitted: Vec<Attempt> = (0..200)
            .filter_map(|_| l.admit("tanaka", "10.0.0.1", 100).ok())
            .collect();
        assert_eq!(admitted.len(), 5);
    }

    #[test]
    fn a_known_address_is_not_held_up_by_guesses_from_elsewhere() {
        let l = limiter();
        let a = l.admit("tanaka", "192.0.2.10", 50).unwrap();
        l.succeeded(a, 50);
        for (i, addr) in (0..40).map(|i| (i, format!("198.51.100.{i}"))) {
            let _ = fail(&l, "tanaka", &addr, 100 + i / 10);
        }
        // The name is slowed for new addresses…
        assert!(l.admit("tanaka", "203.0.113.9", 104).is_err());
        // …but not from the user's usual place.
        assert!(l.admit("tanaka", "192.0.2.10", 104).is_ok());
    }

    #[test]
    fn guesses_from_many_addresses_wait_a_doubling_delay() {
        let l = limiter();
        let addr = |i: u32| format!("198.51.100.{i}");
        for i in 0..5 {
            assert_eq!(fail(&l, "tanaka", &addr(i), 100), Ok(()));
        }
        // The fifth guess started a 1 s delay, the sixth 2 s, the seventh 4 s.
        assert_eq!(fail(&l, "tanaka", &addr(10), 100), Err(1));
        assert_eq!(fail(&l, "tanaka", &addr(10), 101), Ok(()));
        assert_eq!(fail(&l, "tanaka", &addr(11), 102), Err(1));
        assert_eq!(fail(&l, "tanaka", &addr(11), 103), Ok(()));
        assert_eq!(fail(&l, "tanaka", &addr(12), 103), Err(4));
    }

    #[test]
    fn failures_spread_over_more_than_the_window_do_not_lock() {
        let l = limiter();
        for i in 0..10 {
            assert_eq!(fail(&l, "tanaka", "10.0.0.1", i * 901), Ok(()), "{i}");
        }
    }

    #[test]
    fn one_client_guessing_many_names_is_locked() {
        let l = limiter();
        for i in 0..20 {
            assert_eq!(fail(&l, &format!("user{i}"), "203.0.113.5", 100), Ok(()));
        }
        assert!(l.admit("someone-else", "203.0.113.5", 101).is_err());
        assert!(l.admit("someone-else", "203.0.113.6", 101).is_ok());
    }

    #[test]
    fn success_clears_the_users_count() {
        let l = limiter();
        for _ in 0..4 {
            fail(&l, "tanaka", "10.0.0.1", 100).unwrap();
        }
        let a = l.admit("tanaka", "10.0.0.1", 100).unwrap();
        l.succeeded(a, 100);
        fail(&l, "tanaka", "10.0.0.1", 101).unwrap();
        assert!(l.admit("tanaka", "10.0.0.2", 101).is_ok());
    }

    #[test]
    fn withdrawn_attempts_give_their_counts_back() {
        let l = limiter();
        for _ in 0..20 {
            let a = l.admit("tanaka", "10.0.0.1", 100).unwrap();
            l.withdrawn(a);
        }
        assert!(l.admit("tanaka", "10.0.0.1", 100).is_ok());
    }
}
