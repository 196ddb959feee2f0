//! Security crawl (issue 4, item 6): for every role, every output kind over the real sample
//! data, checked against a hand-written expectation table (`expect`), never against the
//! server's own policy function. Nothing outside a role's policy may appear: no layer, no
//! attribute, no feature and no count that gives one away.

mod cache;
mod client;
mod expect;
mod headers;
mod ogc;
mod ops;
mod properties;
mod spatial;
mod styles;
mod sweep;
mod tiles;
mod traversal;
