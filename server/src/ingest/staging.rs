//! Staging (in progress).
