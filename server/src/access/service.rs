//! [`Access`]: identities, sign-in, tokens and the audit log as one service, used by the
//! HTTP edge and by the CLI. It knows nothing of axum.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::secret::{self, digest, is_session_id, is_token};
use super::{
    AccessError, Audit, AuditEvent, AuditKind, Clock, Db, Identity, NewUser, SignInLimiter,
    TokenInfo, TokenRefusal, User,
};
use crate::config::AuthConfig;

/// At most this many password verifications run at once: each takes ~19 MiB and tens of
/// milliseconds, so unbounded concurrency would let a flood of sign-ins exhaust memory.
const CONCURRENT_VERIFICATIONS: usize = 4;

/// At most this many sign-ins may wait for or hold a verification; more are refused at once
/// (429 with `Retry-After`) without hashing, so a flood queues neither memory nor time.
const QUEUED_VERIFICATIONS: usize = 16;

/// The result of a sign-in attempt.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginOutcome {
    /// Signed in: the new session's secret (the cookie value, never stored) and who it is.
    SignedIn {
        secret: String,
        identity: Identity,
        max_age_secs: i64,
    },
    /// Wrong user name or password (the same answer for both, and for disabled users).
    Refused,
    /// Too many failures for this user name or client: try again after this many seconds.
    Locked { retry_after_secs: i64 },
    /// Too many sign-ins are being checked at once; nothing was checked or counted.
    Busy { retry_after_secs: i64 },
}

/// Identities, sessions, tokens, grants and the audit log.
#[derive(Debug)]
pub struct Access {
    pub db: Db,
    pub audit: Arc<Audit>,
    pub clock: Arc<Clock>,
    limiter: SignInLimiter,
    verifications: Semaphore,
    queued: Semaphore,
    settings: AuthConfig,
}

impl Access {
    /// Opens the database `database` names (`postgres://…`), or else the SQLite file in
    /// the data directory.
    pub fn open(
        database: Option<&str>,
        data_dir: &Path,
        settings: &AuthConfig,
    ) -> Result<Self, AccessError> {
        Ok(Self::with_db(Db::connect(database, data_dir)?, settings))
    }

    pub fn with_db(db: Db, settings: &AuthConfig) -> Self {
        let clock = Arc::new(Clock::default());
        Self {
            audit: Arc::new(Audit::new(db.clone(), Arc::clone(&clock))),
            db,
            clock,
            limiter: SignInLimiter::new(settings),
            verifications: Semaphore::new(CONCURRENT_VERIFICATIONS),
            queued: Semaphore::new(QUEUED_VERIFICATIONS),
            settings: settings.clone(),
        }
    }

    pub fn settings(&self) -> &AuthConfig {
        &self.settings
    }

    fn session_secs(&self) -> i64 {
        (self.settings.session_hours.get() * 3600) as i64
    }

    fn idle_secs(&self) -> i64 {
        (self.settings.idle_minutes.get() * 60) as i64
    }

    /// Checks a user name and password, subject to lockout, and opens a session.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        client: &str,
    ) -> Result<LoginOutcome, AccessError> {
        let now = self.clock.now();
        let failure = |reason: &str| {
            AuditEvent::new(AuditKind::LoginFailure)
                .user(&name.chars().take(64).collect::<String>())
                .ip(Some(client))
                .detail(serde_json::json!({ "reason": reason }))
        };
        let attempt = match self.limiter.admit(name, client, now) {
            Ok(attempt) => attempt,
            Err(wait) => {
                self.audit.record(failure("locked")).await?;
                return Ok(LoginOutcome::Locked {
                    retry_after_secs: wait,
                });
            }
        };
        let Ok(_queued) = self.queued.try_acquire() else {
            self.limiter.withdrawn(attempt);
            return Ok(LoginOutcome::Busy {
                retry_after_secs: 1,
            });
        };
        let Some(user) = self.verify(name, password).await? else {
            self.limiter.failed(attempt);
            self.audit.record(failure("credentials")).await?;
            return Ok(LoginOutcome::Refused);
        };
        self.limiter.succeeded(attempt, now);
        let secret = secret::random_hex()?;
        let (hash, ip) = (digest(&secret), client.to_owned());
        let (expires, idle) = (now + self.session_secs(), self.idle_secs());
        let identity = self
            .db
            .run(move |db| {
                db.create_session(user.id, &hash, now, expires, Some(&ip))?;
                db.session_identity(&hash, now, idle)
            })
            .await?
            .ok_or_else(|| AccessError::Task("the new session vanished".into()))?;
        let event = AuditEvent::new(AuditKind::Login).ip(Some(client));
        self.audit.record(event.by(&identity.principal())).await?;
        Ok(LoginOutcome::SignedIn {
            secret,
            identity,
            max_age_secs: self.session_secs(),
        })
    }

    /// The user if the password matches and the account is enabled. Unknown users cost the
    /// same argon2 time as known ones.
    async fn verify(&self, name: &str, password: &str) -> Result<Option<User>, AccessError> {
        // No stored password is this long; refusing early keeps huge inputs off argon2.
        if password.len() > secret::MAX_PASSWORD_BYTES || name.len() > 256 {
            return Ok(None);
        }
        let lookup = name.to_owned();
        let found = self.db.run(move |db| db.user_with_hash(&lookup)).await?;
        let _permit = self
            .verifications
            .acquire()
            .await
            .map_err(|e| AccessError::Task(e.to_string()))?;
        let password = password.to_owned();
        let (user, hash) = found.map_or((None, None), |(u, h)| (Some(u), Some(h)));
        let ok = tokio::task::spawn_blocking(move || {
            secret::verify_password(&password, hash.as_deref())
        })
        .await
        .map_err(|e| AccessError::Task(e.to_string()))?;
        let now = self.clock.now();
        Ok(user.filter(|u| ok && u.active(now)))
    }

    /// Ends the session with this cookie value, if any.
    pub async fn logout(&self, secret: &str, client: &str) -> Result<(), AccessError> {
        if !is_session_id(secret) {
            return Ok(());
        }
        let hash = digest(secret);
        let ended = self.db.run(move |db| db.delete_session(&hash)).await?;
        if let Some((id, user)) = ended {
            let mut event = AuditEvent::new(AuditKind::Logout)
                .user(&user)
                .ip(Some(client));
            event.credential = Some(super::Credential::Session(id).to_string());
            self.audit.record(event).await?;
        }
        Ok(())
    }

    /// The identity behind a session cookie value; `None` if it is not a live session.
    pub async fn session(&self, secret: &str) -> Result<Option<Identity>, AccessError> {
        if !is_session_id(secret) {
            return Ok(None);
        }
        let (hash, now, idle) = (digest(secret), self.clock.now(), self.idle_secs());
        self.db
            .run(move |db| db.session_identity(&hash, now, idle))
            .await
    }

    /// The identity behind a bearer token, or why there is none.
    pub async fn bearer(&self, token: &str) -> Result<Result<Identity, TokenRefusal>, AccessError> {
        if !is_token(token) {
            return Ok(Err(TokenRefusal::Unknown));
        }
        let (hash, now) = (digest(token), self.clock.now());
        self.db.run(move |db| db.token_identity(&hash, now)).await
    }

    /// Creates a user (CLI). Blocking.
    pub fn add_user(&self, new: &NewUser, password: &str) -> Result<User, AccessError> {
        self.create_user("cli", new, password, None)
    }

    /// Sets a new password and ends the user's sessions (CLI). Blocking.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), AccessError> {
        secret::check_password_policy(name, password)?;
        let hash = secret::hash_password(password)?;
        self.db.set_password(name, &hash, self.clock.now())?;
        let detail = serde_json::json!({ "change": "password", "by": "cli" });
        self.audit.record_blocking(
            AuditEvent::new(AuditKind::UserChange)
                .user(name)
                .detail(detail),
        )
    }

    /// Disables or re-enables a user (CLI). Blocking.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), AccessError> {
        self.db.set_disabled(name, disabled)?;
        let change = if disabled { "disabled" } else { "enabled" };
        let detail = serde_json::json!({ "change": change, "by": "cli" });
        self.audit.record_blocking(
            AuditEvent::new(AuditKind::UserChange)
                .user(name)
                .detail(detail),
        )
    }

    /// Creates an API token for a user; returns the token (shown once, never stored).
    pub fn create_token(
        &self,
        user: &str,
        label: &str,
        days: Option<u32>,
    ) -> Result<(String, TokenInfo), AccessError> {
        let token = secret::new_token()?;
        let now = self.clock.now();
        let expires = days.map(|d| now + i64::from(d) * 86_400);
        let info = self
            .db
            .create_token(user, &digest(&token), label, now, expires)?;
        let detail = serde_json::json!({ "token": info.id, "label": label, "expires_at": expires.map(crate::time::rfc3339), "by": "cli" });
        self.audit.record_blocking(
            AuditEvent::new(AuditKind::TokenCreate)
                .user(user)
                .detail(detail),
        )?;
        Ok((token, info))
    }

    /// Revokes a token (CLI). Blocking.
    pub fn revoke_token(&self, id: i64) -> Result<TokenInfo, AccessError> {
        let info = self.db.revoke_token(id, self.clock.now())?;
        let detail = serde_json::json!({ "token": id, "by": "cli" });
        self.audit.record_blocking(
            AuditEvent::new(AuditKind::TokenRevoke)
                .user(&info.user)
                .detail(detail),
        )?;
        Ok(info)
    }

    /// Daily housekeeping: prune the audit log past retention and dead sessions. Blocking.
    pub fn housekeeping(&self) -> Result<(), AccessError> {
        let audit = self.audit.prune(self.settings.audit_retention_days.get())?;
        let sessions = self.db.prune_sessions(self.clock.now(), self.idle_secs())?;
        tracing::info!(audit_rows = audit, sessions, "access housekeeping");
        Ok(())
    }

    /// Writes pending view counts; call at shutdown. Blocking.
    pub fn shutdown(&self) {
        if let Err(e) = self.audit.flush_views() {
            tracing::error!(error = %e, "cannot write the audit log's view counts at shutdown");
        }
    }
}

/// Flushes view counts every `audit_flush_secs` and runs housekeeping daily, until the
/// runtime stops. Spawn it once per server.
pub async fn maintenance(access: Arc<Access>) {
    let every = std::time::Duration::from_secs(access.settings.audit_flush_secs.get());
    let mut flush = tokio::time::interval(every);
    let mut daily = tokio::time::interval(std::time::Duration::from_secs(86_400));
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let a = Arc::clone(&access);
        let job: Box<dyn FnOnce() + Send> = tokio::select! {
            _ = flush.tick() => Box::new(move || {
                if let Err(e) = a.audit.flush_views() {
                    tracing::error!(error = %e, "cannot write the audit log's view counts");
                }
            }),
            _ = daily.tick() => Box::new(move || {
                if let Err(e) = a.housekeeping() {
                    tracing::error!(error = %e, "access housekeeping failed");
                }
            }),
        };
        if let Err(e) = tokio::task::spawn_blocking(job).await {
            tracing::error!(error = %e, "access maintenance task failed");
        }
    }
}
