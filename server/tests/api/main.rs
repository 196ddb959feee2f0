#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed setup should fail the test loudly"
)]

//! Integration tests: one binary, one module per area, the router driven in process.

mod access_fixture;
mod access_requests;
mod accounts;
mod audit;
mod auth;
mod cli;
mod connections;
mod default_styles;
mod edits;
mod export;
mod hazards;
mod helpers;
mod layer_defs;
mod layer_defs_edits;
mod layer_defs_follow;
mod line;
mod lockout;
mod mvt_fixtures;
mod ogc;
mod ops;
mod process;
mod search;
mod search_citizens;
mod security;
mod spatial;
mod synthetic;
mod tiles;
mod uploads;
