//! The work one conversion may do: time, features, columns, vertices per geometry, bytes
//! per attribute value and bytes written (extracted from a zip, and converted features),
//! and a stop flag the HTTP edge sets when the client goes away. A conversion over any of
//! them stops with [`IngestError::TooLarge`] (or [`IngestError::Cancelled`]); publish then
//! removes its staging folder.
//!
//! Bytes inflated from zips also count against one budget shared by every conversion in
//! the process, so concurrent uploads cannot add up past it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use geo::CoordsIter;

use super::IngestError;
use super::report::msg;
use super::source::SourceFeature;

/// Bytes being inflated from zips by all conversions in this process.
static INFLATING: AtomicU64 = AtomicU64::new(0);

/// The limits (`[ingest]` in the configuration).
#[derive(Debug, Clone, Copy)]
pub struct BudgetLimits {
    pub max_time: Duration,
    pub max_features: u64,
    pub max_columns: usize,
    pub max_vertices: usize,
    pub max_value_bytes: usize,
    pub max_written: u64,
    /// Bytes all conversions together may have inflated from zips at once.
    pub max_inflating: u64,
}

impl Default for BudgetLimits {
    fn default() -> Self {
        Self {
            max_time: Duration::from_secs(600),
            max_features: 5_000_000,
            max_columns: 1000,
            max_vertices: 5_000_000,
            max_value_bytes: 1 << 20,
            max_written: 4 << 30,
            max_inflating: 8 << 30,
        }
    }
}

impl BudgetLimits {
    /// Checks one attribute value's size (of feature or row `n`); readers call it before
    /// converting a value where they can.
    pub fn value(&self, n: u64, size: usize) -> Result<(), IngestError> {
        let max = self.max_value_bytes;
        if size > max {
            return Err(over(
                format!("{n} 件目の属性値が {size} バイトあり、上限 {max} バイトを超えています"),
                format!(
                    "feature {n} has an attribute value of {size} bytes, over the limit of {max}"
                ),
            ));
        }
        Ok(())
    }
}

/// One conversion's budget; see the module documentation.
#[derive(Debug)]
pub struct Budget {
    limits: BudgetLimits,
    deadline: Instant,
    stop: Arc<AtomicBool>,
    features: AtomicU64,
    written: AtomicU64,
    inflated: AtomicU64,
    /// The process-wide count of bytes being inflated ([`INFLATING`]).
    pool: &'static AtomicU64,
}

impl Budget {
    pub fn new(limits: BudgetLimits, stop: Arc<AtomicBool>) -> Self {
        Self::with_pool(limits, stop, &INFLATING)
    }

    fn with_pool(limits: BudgetLimits, stop: Arc<AtomicBool>, pool: &'static AtomicU64) -> Self {
        Self {
            pool,
            limits,
            deadline: Instant::now() + limits.max_time,
            stop,
            features: AtomicU64::new(0),
            written: AtomicU64::new(0),
            inflated: AtomicU64::new(0),
        }
    }

    /// Stops when the client went away or the time is spent; call it often.
    pub fn alive(&self) -> Result<(), IngestError> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(IngestError::Cancelled);
        }
        if Instant::now() > self.deadline {
            let secs = self.limits.max_time.as_secs();
            return Err(over(
                format!("変換が時間の上限 ({secs} 秒) を超えました"),
                format!("the conversion took longer than its limit of {secs} s"),
            ));
        }
        Ok(())
    }

    pub fn columns(&self, n: usize) -> Result<(), IngestError> {
        let max = self.limits.max_columns;
        if n > max {
            return Err(over(
                format!("列が {n} 個あり、上限 {max} 個を超えています"),
                format!("the file has {n} columns, over the limit of {max}"),
            ));
        }
        Ok(())
    }

    /// Counts one feature read, with its vertices and attribute bytes.
    pub fn feature(&self, f: &SourceFeature) -> Result<(), IngestError> {
        self.alive()?;
        let n = self.features.fetch_add(1, Ordering::Relaxed) + 1;
        let max = self.limits.max_features;
        if n > max {
            return Err(over(
                format!("地物が上限 {max} 件を超えています"),
                format!("the file has more than the limit of {max} features"),
            ));
        }
        let vertices = f.geometry.as_ref().map_or(0, CoordsIter::coords_count);
        let max = self.limits.max_vertices;
        if vertices > max {
            return Err(over(
                format!("{n} 件目の図形の頂点が {vertices} 個あり、上限 {max} 個を超えています"),
                format!(
                    "feature {n} has {vertices} vertices, over the limit of {max} per geometry"
                ),
            ));
        }
        let mut bytes = vertices as u64 * 16 + f.properties.len() as u64 * 8;
        for v in &f.properties {
            let size = v.as_str().map_or(0, str::len);
            self.value(n, size)?;
            bytes += size as u64;
        }
        self.wrote(bytes)
    }

    /// Checks one attribute value's size (of feature or row `n`); readers call it before
    /// converting a value where they can.
    pub fn value(&self, n: u64, size: usize) -> Result<(), IngestError> {
        self.limits.value(n, size)
    }

    /// The limits, for a reader that checks values while the budget itself is not at hand.
    pub fn limits(&self) -> BudgetLimits {
        self.limits
    }

    /// Counts bytes written to the staging folder.
    pub fn wrote(&self, bytes: u64) -> Result<(), IngestError> {
        let total = self.written.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let max = self.limits.max_written;
        if total > max {
            return Err(over(
                format!("書き出しが上限 {} MB を超えました", max >> 20),
                format!(
                    "the conversion wrote more than its limit of {} MiB",
                    max >> 20
                ),
            ));
        }
        Ok(())
    }

    /// Counts bytes inflated from a zip, against this conversion and the shared budget.
    pub fn inflated(&self, bytes: u64) -> Result<(), IngestError> {
        self.inflated.fetch_add(bytes, Ordering::Relaxed);
        let all = self.pool.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if all > self.limits.max_inflating {
            return Err(over(
                "展開中の zip の合計がサーバーの上限を超えました。しばらくしてから再度お試しください",
                "the zips being unpacked together are over the server's limit; try again later",
            ));
        }
        self.wrote(bytes)
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        self.pool
            .fetch_sub(self.inflated.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

fn over(ja: impl Into<String>, en: impl Into<String>) -> IngestError {
    IngestError::TooLarge {
        message: msg(ja, en),
    }
}

#[cfg(test)]
mod tests {
    use geo::{Geometry, LineString};

    use super::*;
    use crate::model::Value;

    fn feature(vertices: usize, value: Value) -> SourceFeature {
        let line: LineString<f64> = (0..vertices).map(|i| (i as f64, 0.0)).collect();
        SourceFeature {
            geometry: Some(Geometry::LineString(line)),
            issues: vec![],
            properties: vec![value],
            line: None,
            bad_fields: vec![],
        }
    }

    fn budget(limits: BudgetLimits) -> Budget {
        Budget::new(limits, Arc::default())
    }

    #[test]
    fn each_limit_stops_the_conversion() {
        let small = BudgetLimits {
            max_features: 2,
            max_vertices: 10,
            max_value_bytes: 4,
            ..BudgetLimits::default()
        };
        let b = budget(small);
        assert!(b.feature(&feature(10, Value::Int(1))).is_ok());
        assert!(b.feature(&feature(11, Value::Int(1))).is_err());
        assert!(
            b.feature(&feature(2, Value::String("12345".into())))
                .is_err()
        );
        let b = budget(small);
        for _ in 0..2 {
            b.feature(&feature(2, Value::Null)).unwrap();
        }
        assert!(matches!(
            b.feature(&feature(2, Value::Null)),
            Err(IngestError::TooLarge { .. })
        ));
        assert!(
            budget(BudgetLimits {
                max_columns: 3,
                ..small
            })
            .columns(4)
            .is_err()
        );
        let slow = budget(BudgetLimits {
            max_time: Duration::ZERO,
            ..small
        });
        std::thread::sleep(Duration::from_millis(2));
        assert!(slow.alive().is_err());
    }

    #[test]
    fn a_stopped_conversion_is_cancelled() {
        let stop = Arc::new(AtomicBool::new(false));
        let b = Budget::new(BudgetLimits::default(), Arc::clone(&stop));
        assert!(b.alive().is_ok());
        stop.store(true, Ordering::Relaxed);
        assert!(matches!(b.alive(), Err(IngestError::Cancelled)));
    }

    #[test]
    fn inflated_bytes_are_shared_and_given_back() {
        static POOL: AtomicU64 = AtomicU64::new(0);
        let limits = BudgetLimits {
            max_inflating: 1000,
            ..BudgetLimits::default()
        };
        let new = || Budget::with_pool(limits, Arc::default(), &POOL);
        let (a, b) = (new(), new());
        a.inflated(600).unwrap();
        assert!(b.inflated(600).is_err());
        drop(a);
        drop(b);
        assert_eq!(POOL.load(Ordering::Relaxed), 0);
        assert!(new().inflated(600).is_ok());
    }
}
