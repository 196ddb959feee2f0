//! Administration subcommands: `kashimap user …`, `kashimap token …`, `kashimap demo-users`.
//! The work is done by [`Access`]; this is the command-line surface. Passwords are read
//! from stdin only, never from arguments (which other users of the host can see).

use std::fmt::Write as _;
use std::io::Write as _;

use clap::Subcommand;

use crate::access::{Access, AccessError, AccountChange, DemoOutcome, NewUser, parse_expiry};
use crate::time::rfc3339;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password (at least 10 characters) is read from stdin.
    Add {
        name: String,
        /// A role such as suido, kensetsu, bunka, toshi, bousai, contractor or admin.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// 課名, e.g. 水道課.
        #[arg(long, default_value = "")]
        department: String,
        /// A contractor: signs in, but is not staff.
        #[arg(long)]
        contractor: bool,
        /// Read the password from stdin (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a user's password (read from stdin) and end their sessions.
    Passwd {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable a user: their sessions end and their tokens stop working.
    Disable { name: String },
    /// Re-enable a disabled user.
    Enable { name: String },
    /// Replace a user's roles (e.g. after a 異動); their sessions end so the change applies
    /// at once. No roles leaves them with none.
    SetRoles {
        name: String,
        /// The new roles, e.g. `toshi bousai`.
        roles: Vec<String>,
    },
    /// Set the last day an account works (a contractor's contract end), as YYYY-MM-DD
    /// (it ends at midnight in Japan), or `never`.
    Expire { name: String, date: String },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token acting as user NAME. The token is printed once; only its hash
    /// is stored.
    Create {
        name: String,
        /// Days until the token expires [default: never].
        #[arg(long)]
        expires: Option<u32>,
        /// What the token is for, e.g. "QGIS on 水道課 PC 3".
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a token by its id (see `token list`).
    Revoke { id: i64 },
    /// List tokens (never the tokens themselves).
    List,
}

/// Reads one line (the password) from stdin, without its line end.
fn read_password() -> Result<String, AccessError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|source| AccessError::Io {
            path: "stdin".into(),
            source,
        })?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(AccessError::WeakPassword("no password on stdin".into()));
    }
    Ok(password)
}

pub fn user(access: &Access, command: UserCommand) -> Result<(), AccessError> {
    match command {
        UserCommand::Add {
            name,
            roles,
            department,
            contractor,
            password_stdin: _,
        } => {
            let password = read_password()?;
            let new = NewUser {
                name,
                roles,
                department,
                staff: !contractor,
            };
            let u = access.add_user(&new, &password)?;
            let kind = if u.staff {
                "staff"
            } else {
                "contractor, not staff"
            };
            eprintln!(
                "created user {} ({kind}; roles: {})",
                u.name,
                u.roles.join(", ")
            );
        }
        UserCommand::Passwd {
            name,
            password_stdin: _,
        } => {
            access.set_password(&name, &read_password()?)?;
            eprintln!("password changed for {name}; their sessions have ended");
        }
        UserCommand::Disable { name } => {
            access.set_disabled(&name, true)?;
            eprintln!("disabled {name}: sessions ended, tokens refused");
        }
        UserCommand::Enable { name } => {
            access.set_disabled(&name, false)?;
            eprintln!("enabled {name}");
        }
        UserCommand::SetRoles { name, roles } => {
            let u = access.change_user("cli", &name, &AccountChange::Roles(roles))?;
            eprintln!(
                "{}: roles now {}; their sessions have ended",
                u.name,
                if u.roles.is_empty() {
                    "(none)".to_owned()
                } else {
                    u.roles.join(", ")
                }
            );
        }
        UserCommand::Expire { name, date } => {
            let e = parse_expiry(&date)?;
            let u = access.change_user("cli", &name, &AccountChange::Expiry(e))?;
            match u.expires_at {
                Some(t) => eprintln!("{}: the account ends at {}", u.name, rfc3339(t)),
                None => eprintln!("{}: the account does not expire", u.name),
            }
        }
        UserCommand::List => {
            let mut out = String::new();
            let _ = writeln!(
                out,
                "{:<24} {:<11} {:<9} {:<16} {:<20} roles",
                "name", "kind", "state", "department", "expires"
            );
            let now = access.now();
            for u in access.db.users()? {
                let kind = if u.staff { "staff" } else { "contractor" };
                let state = match (u.disabled, u.active(now)) {
                    (true, _) => "disabled",
                    (false, false) => "expired",
                    _ => "active",
                };
                let expires = u.expires_at.map_or_else(|| "-".to_owned(), rfc3339);
                let _ = writeln!(
                    out,
                    "{:<24} {kind:<11} {state:<9} {:<16} {expires:<20} {}",
                    u.name,
                    u.department,
                    u.roles.join(",")
                );
            }
            print(&out)?;
        }
    }
    Ok(())
}

pub fn token(access: &Access, command: TokenCommand) -> Result<(), AccessError> {
    match command {
        TokenCommand::Create {
            name,
            expires,
            label,
        } => {
            let (token, info) = access.create_token(&name, &label, expires)?;
            let until = info.expires_at.map_or_else(|| "never".to_owned(), rfc3339);
            // The token alone goes to stdout, so `TOKEN=$(kashimap token create …)` works;
            // the notice goes to stderr and must read well when stdout is not the terminal.
            eprintln!(
                "created token {} for {name} (expires: {until}). The token is printed on \
                 standard output, only this once: it cannot be shown again.",
                info.id
            );
            print(&format!("{token}\n"))?;
        }
        TokenCommand::Revoke { id } => {
            let info = access.revoke_token(id)?;
            eprintln!("revoked token {id} of {}", info.user);
        }
        TokenCommand::List => {
            let mut out = String::new();
            let _ = writeln!(
                out,
                "{:>5} {:<20} {:<21} {:<21} {:<8} label",
                "id", "user", "created", "expires", "state"
            );
            for t in access.db.tokens()? {
                let expires = t.expires_at.map_or_else(|| "never".to_owned(), rfc3339);
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let _ = writeln!(
                    out,
                    "{:>5} {:<20} {:<21} {expires:<21} {state:<8} {}",
                    t.id,
                    t.user,
                    rfc3339(t.created_at),
                    t.label
                );
            }
            print(&out)?;
        }
    }
    Ok(())
}

pub fn demo_users(access: &Access, password_stdin: bool) -> Result<(), AccessError> {
    let password = if password_stdin {
        Some(read_password()?)
    } else {
        None
    };
    let results = access.create_demo_users(password.as_deref())?;
    let mut out = String::new();
    for (demo, outcome) in results {
        let roles = if demo.roles.is_empty() {
            "(staff)".to_owned()
        } else {
            demo.roles.join(",")
        };
        let state = match outcome {
            DemoOutcome::Created(p) if password.is_none() => p,
            DemoOutcome::Created(_) => "created".to_owned(),
            DemoOutcome::Exists => "exists (unchanged)".to_owned(),
        };
        let _ = writeln!(out, "{:<16} {state:<20} {roles}", demo.name);
    }
    print(&out)?;
    if password.is_none() {
        eprintln!("these passwords are shown only once");
    }
    Ok(())
}

/// Writes command output to stdout (not the log, which goes to stderr).
fn print(text: &str) -> Result<(), AccessError> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|source| AccessError::Io {
            path: "stdout".into(),
            source,
        })
}
