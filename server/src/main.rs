//! The `kashimap` command: serve (default), check, generate, and administration.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use kashimap::access::Access;
use kashimap::admin;
use kashimap::app::App;
use kashimap::config::Config;

/// mimalloc instead of glibc's malloc: a cached tile request spent a third of its
/// instructions in malloc and free (callgrind, bench/callgrind_tiles.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// The store folder: layer versions, database, audit log [default: ./var]. Not the
    /// sample data in data/, which is imported into it on first start.
    #[arg(long, env = "KASHIMAP_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Where layer versions are stored: file:///folder or s3://bucket/prefix[?endpoint=URL]
    /// [default: the data folder's layers/].
    #[arg(long, env = "KASHIMAP_STORE", global = true)]
    store: Option<String>,
    /// Where the layer files are [default: ./layers].
    #[arg(long, env = "KASHIMAP_LAYERS_DIR", global = true)]
    layers_dir: Option<PathBuf>,
    /// The identity database: postgres://user@host:port/db, shared by several primaries
    /// [default: the SQLite file in the data folder].
    #[arg(long, env = "KASHIMAP_DATABASE", global = true)]
    database: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the map, the APIs and the viewer (the default).
    Serve(ServeArgs),
    /// Validate the layer files and their data, and print a report.
    Check,
    /// Regenerate the sample data (deterministic), or a large benchmark layer.
    Generate(GenerateArgs),
    /// Export the public view of some layers as a PMTiles v3 archive for static hosting.
    ExportTiles(ExportTilesArgs),
    /// Manage user accounts (there is no default account).
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Manage API tokens for scripts, QGIS and GDAL.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Create the demo accounts documented in docs/security.md (one per role). Prints
    /// their passwords once, unless one password is read from stdin for all.
    DemoUsers {
        /// Read one password for every demo account from stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Import a file into a layer, as an upload does, and print the validation report.
    Import(ImportArgs),
    /// Write a new Ed25519 key pair for the public push: PREFIX.key (private, 0600) and
    /// PREFIX.pub (for the replicas).
    Keygen {
        /// Path prefix of the two files.
        #[arg(long)]
        out: PathBuf,
    },
    /// Push the public view of every layer to a target once (e.g. for a transfer carried
    /// by hand), signed with the push key.
    PushPublic {
        /// file:///folder or s3://bucket/prefix[?endpoint=URL].
        #[arg(long)]
        to: String,
        /// The private key [default: push_key of kashimap.toml].
        #[arg(long)]
        push_key: Option<PathBuf>,
    },
}

/// `kashimap serve`: a primary (optionally pushing its public view) or a public replica.
#[derive(Debug, Args, Default)]
struct ServeArgs {
    /// Push the public view after every publish to file:///folder or s3://bucket/prefix.
    #[arg(long, env = "KASHIMAP_PUBLIC_PUSH")]
    public_push: Option<String>,
    /// The private key that signs the public push (kashimap keygen).
    #[arg(long, env = "KASHIMAP_PUSH_KEY")]
    push_key: Option<PathBuf>,
    /// Serve as a public replica of this push target (no store, no accounts).
    #[arg(long, env = "KASHIMAP_REPLICA_OF")]
    replica_of: Option<String>,
    /// The primary's public key file (PREFIX.pub).
    #[arg(long, env = "KASHIMAP_REPLICA_KEY")]
    replica_key: Option<PathBuf>,
    /// Seconds between polls of the push target [default: 5].
    #[arg(long)]
    replica_poll_secs: Option<std::num::NonZeroU64>,
}

impl ServeArgs {
    fn apply(self, config: &mut Config) {
        if self.public_push.is_some() {
            config.public_push = self.public_push;
        }
        if self.push_key.is_some() {
            config.push_key = self.push_key;
        }
        if self.replica_of.is_some() {
            config.replica_of = self.replica_of;
        }
        if self.replica_key.is_some() {
            config.replica_key = self.replica_key;
        }
        if let Some(s) = self.replica_poll_secs {
            config.replica_poll_secs = s;
        }
    }
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Output directory [default: data, or a required choice with --large].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Real inputs (shelters, city boundary).
    #[arg(long, default_value = "data/source")]
    source: PathBuf,
    /// Instead of the samples, write a benchmark layer `parcels` of N polygons (and its layer
    /// file under OUT/layers).
    #[arg(long, value_name = "N")]
    large: Option<usize>,
    /// Seed for --large.
    #[arg(long, default_value_t = kashimap::r#gen::LARGE_SEED)]
    seed: u64,
}

#[derive(Debug, Args)]
struct ExportTilesArgs {
    /// Comma-separated layer ids; only what the public may see is exported.
    #[arg(long, value_delimiter = ',', required = true)]
    layers: Vec<String>,
    /// Zoom range, e.g. 8-16.
    #[arg(long, default_value = "8-16")]
    zoom: String,
    /// Output PMTiles file.
    #[arg(long)]
    out: PathBuf,
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
    /// A layer field read from a column of another name, e.g. `--map 名称=施設・場所名`
    /// (repeat for more columns).
    #[arg(long = "map", value_name = "FIELD=COLUMN", value_parser = parse_map)]
    map: Vec<(String, String)>,
    /// Publish the version straight away.
    #[arg(long)]
    publish: bool,
    /// Publish even when the upload drops more features than the layer allows.
    #[arg(long)]
    confirm_drop: bool,
}

/// `FIELD=COLUMN` of `import --map`.
fn parse_map(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((f, c)) if !f.trim().is_empty() && !c.trim().is_empty() => {
            Ok((f.trim().to_owned(), c.trim().to_owned()))
        }
        _ => Err(format!(
            "`{s}` is not FIELD=COLUMN (e.g. --map 名称=施設・場所名)"
        )),
    }
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

/// Logs to stderr, in colour only on a terminal: a log file gets plain text.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = load_config(&cli.global)?;
    match cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeArgs::default()))
    {
        Command::Serve(args) => {
            args.apply(&mut config);
            config.validate()?;
            serve(config)
        }
        Command::Keygen { out } => {
            let (key, public) = kashimap::push::keygen(&out)?;
            eprintln!(
                "wrote {} (private: keep it on the primary only) and {} (give it to the replicas)",
                key.display(),
                public.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::PushPublic { to, push_key } => {
            config.validate()?;
            push_public(config, &to, push_key)
        }
        Command::Check => {
            config.validate()?;
            Ok(check(config))
        }
        Command::User(c) => {
            admin::user(&open_access(&config)?, c)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(c) => {
            admin::token(&open_access(&config)?, c)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::DemoUsers { password_stdin } => {
            admin::demo_users(&open_access(&config)?, password_stdin)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(args) => generate(&args),
        Command::ExportTiles(args) => {
            config.validate()?;
            export_tiles(config, &args)
        }
        Command::Import(args) => {
            config.validate()?;
            import(config, args)
        }
    }
}

fn generate(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let summary = if let Some(n) = args.large {
        let out = args
            .out
            .as_deref()
            .context("--large needs --out DIR (benchmark data does not belong in data/)")?;
        let boundary = args.source.join("kashima_boundary_41207_s0010.geojson");
        kashimap::r#gen::large(&boundary, out, n, args.seed)?
    } else {
        let out = args.out.clone().unwrap_or_else(|| PathBuf::from("data"));
        kashimap::r#gen::samples(&args.source, &out)?
    };
    for l in &summary.layers {
        eprintln!(
            "{:<10} {:>9} features  {}",
            l.id,
            l.features,
            l.path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn export_tiles(config: Config, args: &ExportTilesArgs) -> anyhow::Result<ExitCode> {
    let (lo, hi) = args
        .zoom
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u8>().ok()?, b.trim().parse::<u8>().ok()?)))
        .filter(|(a, b)| a <= b && *b <= 20)
        .with_context(|| {
            format!(
                "--zoom {}: use MIN-MAX with 0 <= MIN <= MAX <= 20",
                args.zoom
            )
        })?;
    let app = App::open_read_only(config).context("cannot load the layers")?;
    let public = kashimap::access::Principal::anonymous();
    let mut views = Vec::new();
    for id in &args.layers {
        let view = app
            .layers
            .get(id)
            .and_then(|v| kashimap::access::decide(&public, &v))
            .with_context(|| format!("layer `{id}` does not exist or is not public"))?;
        views.push(view);
    }
    let t = std::time::Instant::now();
    let s = kashimap::tile::export_pmtiles(&app.tiles, &views, lo..=hi, &args.out)?;
    eprintln!(
        "wrote {}: {} tiles ({} empty skipped), {} bytes in {:.1} s",
        args.out.display(),
        s.tiles,
        s.empty,
        s.bytes,
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn open_access(config: &Config) -> anyhow::Result<Access> {
    Access::open(config.database.as_deref(), &config.data_dir, &config.auth).with_context(|| {
        format!(
            "cannot open the identity database ({})",
            config.database.as_deref().map_or_else(
                || config.data_dir.display().to_string(),
                |_| "--database".to_owned()
            )
        )
    })
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
    if let Some(s) = &g.store {
        config.store = Some(s.clone());
    }
    if let Some(d) = &g.layers_dir {
        config.layers_dir.clone_from(d);
    }
    if g.database.is_some() {
        config.database.clone_from(&g.database);
    }
    config.line.read_env();
    Ok(config)
}

/// `kashimap push-public --to URL`: the public view of the layers as the store holds them.
fn push_public(config: Config, to: &str, key: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let key = key
        .or_else(|| config.push_key.clone())
        .context("give --push-key PREFIX.key (or push_key in kashimap.toml)")?;
    let key = kashimap::push::read_signing_key(&key)?;
    let target = kashimap::push::open_target(to)?;
    let data_dir = config.data_dir.clone();
    let styles = config.styles_dir.clone();
    let app = App::open_read_only(config).context("cannot load the layers")?;
    let pusher = kashimap::push::Pusher::new(target, key, &data_dir);
    let m = pusher.push(&app.layers, &styles)?;
    eprintln!(
        "pushed sequence {} to {to}: {} public layers, {} styles",
        m.sequence,
        m.layers.len(),
        m.styles.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let addr = config.addr;
    let app = if config.replica_of.is_some() {
        App::start_replica(config).context("cannot start the replica")?
    } else {
        App::start(config).context("cannot start")?
    };
    let access = Arc::clone(&app.access);
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        tokio::spawn(kashimap::access::maintenance(Arc::clone(&app.access)));
        let limits = kashimap::http::listener::ConnLimits::new(&app.config.limits);
        let service = kashimap::http::server(app);
        kashimap::http::listener::serve(listener, service, limits, shutdown_signal()).await;
        anyhow::Ok(())
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

fn import(config: Config, a: ImportArgs) -> anyhow::Result<ExitCode> {
    let app = App::start_as(config, "import").context("cannot start")?;
    let args = kashimap::publish::cli::ImportArgs {
        layer: a.layer,
        file: a.file,
        options: kashimap::ingest::Options {
            encoding: a.encoding,
            srs: a.srs,
            source_layer: a.source_layer,
            repair: a.repair,
            x_column: a.x_column,
            y_column: a.y_column,
            mapping: a.map.into_iter().collect(),
        },
        publish: a.publish,
        confirm_drop: a.confirm_drop,
    };
    Ok(ExitCode::from(kashimap::publish::cli::import(
        &app.publisher,
        &args,
    )))
}

/// Loads everything the server would, reading the store folder without writing to it, and
/// reports. A layer the store does not hold yet is read from its sample file.
fn check(config: Config) -> ExitCode {
    match App::open_read_only(config) {
        Ok(app) => {
            eprintln!("ok: {} layers", app.catalog().layers().len());
            for v in app.layers.current_all() {
                let version = match v.version() {
                    0 => "sample file, not in the store yet".to_owned(),
                    n => format!("version {n}"),
                };
                eprintln!(
                    "  - {:<10} {:<22} {version:<34} {:>8} features{}",
                    v.id(),
                    v.def.title.ja,
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
