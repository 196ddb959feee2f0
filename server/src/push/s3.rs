//! An S3-compatible bucket as a push target, over the shared S3 client (`crate::s3`: SigV4
//! over ureq; credentials and endpoint from the `AWS_*` environment and `?endpoint=`).

use super::PushError;
use super::target::Target;
use crate::s3::{Body, Client};

/// An S3 bucket and key prefix with the credentials to reach it.
#[derive(Debug)]
pub struct S3Target {
    client: Client,
}

impl S3Target {
    /// `s3://bucket/prefix[?endpoint=URL]`.
    pub fn from_url(url: &str) -> Result<Self, PushError> {
        Ok(Self {
            client: Client::from_url(url)?,
        })
    }
}

impl Target for S3Target {
    fn put(&self, rel: &str, bytes: &[u8]) -> Result<(), PushError> {
        self.client.put(rel, Body::Bytes(bytes), &[])?;
        Ok(())
    }

    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, PushError> {
        Ok(self.client.get_bytes(rel)?)
    }

    fn has(&self, rel: &str, size: u64) -> Result<bool, PushError> {
        Ok(self
            .client
            .head(rel)?
            .is_some_and(|a| a.length == Some(size)))
    }

    fn describe(&self) -> String {
        self.client.describe()
    }
}
