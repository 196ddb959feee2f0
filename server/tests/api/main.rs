//! Integration tests: one binary, one module per area, the router driven in process.

mod helpers;
mod ops;
