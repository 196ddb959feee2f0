//! The `kashimap` command: serve (default), check, generate, and administration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use kashimap::app::App;
use kashimap::config::Config;

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
    /// Import a file into a layer, as an upload does, and print the validation report.
    Import(ImportArgs),
}

/// `kashimap import LAYER FILE`.
#[derive(Debug, Args)]
struct ImportArgs {
    /// The layer id.
    layer: String,
    /// GeoJSON, zipped Shapefile (or a .shp beside its .dbf), GeoPackage, FlatGeobuf or CSV.
    file: PathBuf,
    /// Text encoding: utf-8 or shift_jis (cp932) [default: detected].
    #[arg(long)]
    encoding: Option<String>,
    /// Coordinate system, e.g. EPSG:6670 [default: detected].
    #[arg(long)]
    srs: Option<String>,
    /// The layer to read from a zip or GeoPackage that holds several.
    #[arg(long)]
    source_layer: Option<String>,
    /// Repair invalid geometries instead of refusing them.
    #[arg(long)]
    repair: bool,
    /// CSV column with x (longitude or easting), when not detected.
    #[arg(long)]
    x_column: Option<String>,
    /// CSV column with y (latitude or northing), when not detected.
    #[arg(long)]
    y_column: Option<String>,
    /// Publish the version straight away.
    #[arg(long)]
    publish: bool,
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
        Command::Serve => serve(config),
        Command::Check => Ok(check(config)),
        Command::Import(args) => import(config, args),
    }
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
    config.validate()?;
    Ok(config)
}

fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let addr = config.addr;
    let app = App::start(config).context("cannot start")?;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, kashimap::http::app(app))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("server error")
    })?;
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

fn import(config: Config, a: ImportArgs) -> anyhow::Result<ExitCode> {
    let app = App::start(config).context("cannot start")?;
    let args = kashimap::ingest::cli::ImportArgs {
        layer: a.layer,
        file: a.file,
        options: kashimap::ingest::Options {
            encoding: a.encoding,
            srs: a.srs,
            source_layer: a.source_layer,
            repair: a.repair,
            x_column: a.x_column,
            y_column: a.y_column,
        },
        publish: a.publish,
    };
    Ok(ExitCode::from(kashimap::ingest::cli::import(&app, &args)))
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
