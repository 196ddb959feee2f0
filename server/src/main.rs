//! The `kashimap` command: serve (default), check, generate, and administration.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use kashimap::access::{Access, DemoOutcome, NewUser};
use kashimap::app::App;
use kashimap::config::Config;
use kashimap::time::rfc3339;

#[derive(Debug, Parser)]
#[command(
    name = "kashimap",
    version,
    about = "かしまっぷ: one map server for a Japanese city"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Settings shared by every subcommand; each overrides `kashimap.toml`.
#[derive(Debug, Args)]
struct Global {
    /// Configuration file (optional; defaults apply when absent).
    #[arg(long, env = "KASHIMAP_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "KASHIMAP_ADDR", global = true)]
    addr: Option<std::net::SocketAddr>,
    /// Where the layer store and database live [default: ./var].
    #[arg(long, env = "KASHIMAP_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Where the layer files are [default: ./layers].
    #[arg(long, env = "KASHIMAP_LAYERS_DIR", global = true)]
    layers_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the map, the APIs and the viewer (the default).
    Serve,
    /// Validate the layer files and their data, and print a report.
    Check,
    /// Manage user accounts (there is no default account).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for scripts, QGIS and GDAL.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create the demo accounts documented in docs/security.md (one per role). Prints
    /// their passwords once, unless one password is read from stdin for all.
    DemoUsers {
        /// Read one password for every demo account from stdin.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
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
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli.global)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            config.validate()?;
            serve(config)
        }
        Command::Check => {
            config.validate()?;
            Ok(check(config))
        }
        Command::User(c) => user_command(&open_access(&config)?, c),
        Command::Token(c) => token_command(&open_access(&config)?, c),
        Command::DemoUsers { password_stdin } => demo_users(&open_access(&config)?, password_stdin),
    }
}

fn open_access(config: &Config) -> anyhow::Result<Access> {
    Access::open(&config.data_dir, &config.auth).with_context(|| {
        format!(
            "cannot open the identity database in {}",
            config.data_dir.display()
        )
    })
}

/// Reads one line (the password) from stdin, without its line end.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on stdin");
    Ok(password)
}

fn user_command(access: &Access, command: UserCommand) -> anyhow::Result<ExitCode> {
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
        UserCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<24} {:<11} {:<9} {:<16} roles",
                "name", "kind", "state", "department"
            )?;
            for u in access.db.users()? {
                let kind = if u.staff { "staff" } else { "contractor" };
                let state = if u.disabled { "disabled" } else { "active" };
                writeln!(
                    out,
                    "{:<24} {kind:<11} {state:<9} {:<16} {}",
                    u.name,
                    u.department,
                    u.roles.join(",")
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token_command(access: &Access, command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create {
            name,
            expires,
            label,
        } => {
            let (token, info) = access.create_token(&name, &label, expires)?;
            let until = info.expires_at.map_or_else(|| "never".to_owned(), rfc3339);
            eprintln!(
                "token {} for {name} (expires: {until}). It is shown only this once:",
                info.id
            );
            writeln!(std::io::stdout().lock(), "{token}")?;
        }
        TokenCommand::Revoke { id } => {
            let info = access.revoke_token(id)?;
            eprintln!("revoked token {id} of {}", info.user);
        }
        TokenCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:>5} {:<20} {:<21} {:<21} {:<8} label",
                "id", "user", "created", "expires", "state"
            )?;
            for t in access.db.tokens()? {
                let expires = t.expires_at.map_or_else(|| "never".to_owned(), rfc3339);
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                writeln!(
                    out,
                    "{:>5} {:<20} {:<21} {expires:<21} {state:<8} {}",
                    t.id,
                    t.user,
                    rfc3339(t.created_at),
                    t.label
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn demo_users(access: &Access, password_stdin: bool) -> anyhow::Result<ExitCode> {
    let password = if password_stdin {
        Some(read_password()?)
    } else {
        None
    };
    let results = access.create_demo_users(password.as_deref())?;
    let mut out = std::io::stdout().lock();
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
        writeln!(out, "{:<16} {state:<20} {roles}", demo.name)?;
    }
    if password.is_none() {
        eprintln!("these passwords are shown only once");
    }
    Ok(ExitCode::SUCCESS)
}

fn load_config(g: &Global) -> anyhow::Result<Config> {
    let mut config = match &g.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if let Some(a) = g.addr {
        config.addr = a;
    }
    if let Some(d) = &g.data_dir {
        config.data_dir.clone_from(d);
    }
    if let Some(d) = &g.layers_dir {
        config.layers_dir.clone_from(d);
    }
    Ok(config)
}

fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let addr = config.addr;
    let app = App::start(config).context("cannot start")?;
    let access = Arc::clone(&app.access);
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        tokio::spawn(kashimap::access::maintenance(Arc::clone(&app.access)));
        let service =
            kashimap::http::app(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("server error")
    })?;
    access.shutdown();
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Loads everything the server would, into a temporary store, and reports.
fn check(config: Config) -> ExitCode {
    let scratch = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot create a scratch directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut config = config;
    if !config.data_dir.exists() {
        config.data_dir = scratch.path().to_path_buf();
    }
    match App::start(config) {
        Ok(app) => {
            eprintln!("ok: {} layers", app.catalog.layers().len());
            for v in app.layers.current_all() {
                eprintln!(
                    "  - {:<10} {:<22} version {:>3}  {:>8} features{}",
                    v.id(),
                    v.def.title.ja,
                    v.version(),
                    v.features.len(),
                    if v.def.sample { "  (sample data)" } else { "" }
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("check failed:\n{e}");
            ExitCode::FAILURE
        }
    }
}
