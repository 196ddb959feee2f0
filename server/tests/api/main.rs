#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed setup should fail the test loudly"
)]

//! Integration tests: one binary, one module per area, the router driven in process.

mod helpers;
mod ops;
mod uploads;
