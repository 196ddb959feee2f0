//! `kashimap import LAYER FILE`: the upload endpoint from the command line, for first loads
//! and scripts. Prints the report (JSON on stdout, a summary on stderr); the exit code is 0
//! when staged (and published with `--publish`), 2 when the report refuses the file and 1
//! for other errors.

use std::io::Write;
use std::path::PathBuf;

use super::{PublishError, Publisher, Upload, describe_file, publish_with, stage};
use crate::ingest::Options;
use crate::ingest::report::{Report, Severity};

/// The command's arguments.
#[derive(Debug, Clone)]
pub struct ImportArgs {
    pub layer: String,
    pub file: PathBuf,
    pub options: Options,
    pub publish: bool,
    /// Publish even when the upload drops more features than the layer allows.
    pub confirm_drop: bool,
}

/// Exit codes.
pub const REFUSED: u8 = 2;
pub const FAILED: u8 = 1;

/// Runs the import; returns the process exit code.
pub fn import(p: &Publisher, args: &ImportArgs) -> u8 {
    match run(p, args) {
        Ok(()) => 0,
        Err(PublishError::Refused(report)) => {
            print_report(&report);
            summary(&report);
            let _ = writeln!(
                std::io::stderr(),
                "refused: the file was not staged (アップロードは受け付けられませんでした)"
            );
            REFUSED
        }
        Err(e) => {
            let _ = match &e {
                PublishError::Ingest(i) => {
                    let m = i.message();
                    writeln!(std::io::stderr(), "error: {i}\nエラー: {}", m.ja)
                }
                PublishError::NeedsConfirmation { drop, .. } => writeln!(
                    std::io::stderr(),
                    "error: {e}\nエラー: 公開すると {}件 → {}件 になります ({:.0}% 減、上限 {}%)。--confirm-drop を付けると公開します",
                    drop.before,
                    drop.after,
                    drop.percent,
                    drop.limit_percent
                ),
                other => writeln!(std::io::stderr(), "error: {other}"),
            };
            FAILED
        }
    }
}

fn run(p: &Publisher, args: &ImportArgs) -> Result<(), PublishError> {
    let name = args
        .file
        .file_name()
        .map_or_else(|| "upload".to_owned(), |n| n.to_string_lossy().into_owned());
    let file = describe_file(&args.file, &name)?;
    let upload = Upload::create(p)?;
    let who = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    );
    let staged = stage(
        p,
        &upload,
        &args.file,
        &file,
        &who,
        &args.layer,
        &args.options,
    )?;
    print_report(&staged.report);
    summary(&staged.report);
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "staged: upload {} as version {} (expires {})",
        staged.id, staged.version, staged.expires
    );
    if args.publish {
        let info = publish_with(p, &who, &args.layer, &staged.id, args.confirm_drop)?;
        let _ = writeln!(
            err,
            "published: layer {} version {} ({} features)",
            args.layer, info.version, info.feature_count
        );
    } else {
        let _ = writeln!(
            err,
            "publish with: POST /api/layers/{}/uploads/{}/publish",
            args.layer, staged.id
        );
    }
    Ok(())
}

fn print_report(report: &Report) {
    let text = serde_json::to_string_pretty(report).unwrap_or_default();
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

fn summary(r: &Report) {
    let mut err = std::io::stderr().lock();
    let enc = r.encoding.as_ref().map_or("-", |e| e.name.as_str());
    let crs = r
        .crs
        .as_ref()
        .map_or_else(|| "-".to_owned(), |c| format!("EPSG:{}", c.epsg));
    let _ = writeln!(
        err,
        "{} ({}), encoding {enc}, CRS {crs}: {} of {} features",
        r.file.name, r.format.name, r.feature_count, r.features_read
    );
    for p in &r.problems {
        let tag = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let _ = writeln!(err, "  {tag}: {}{}", p.message.en, p.at.describe());
    }
}
