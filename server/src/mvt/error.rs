//! Errors of the tile pipeline.

/// Something wrong with a tile request or with MVT bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// A tile coordinate outside the tile pyramid. `part` is `z`, `x` or `y`.
    #[error("tile {part}={value} is out of range: {part} must be at most {max}")]
    CoordOutOfRange {
        part: &'static str,
        value: u32,
        max: u64,
    },
    /// Malformed MVT bytes: what was wrong and at which byte offset.
    #[error("invalid vector tile at byte {offset}: {message}")]
    Decode { offset: usize, message: String },
}

impl TileError {
    pub(crate) fn decode(offset: usize, message: impl Into<String>) -> Self {
        Self::Decode {
            offset,
            message: message.into(),
        }
    }
}
