//! An S3-compatible bucket as a push target: plain HTTPS (or HTTP for a local server) with
//! AWS Signature Version 4, written here in a hundred lines instead of pulling in an SDK.
//!
//! Credentials come from the standard environment: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, optional `AWS_SESSION_TOKEN`, `AWS_REGION` (or
//! `AWS_DEFAULT_REGION`, default `us-east-1`). The endpoint is the target URL's `endpoint`
//! parameter (`s3://bucket/prefix?endpoint=https://s3.example.jp`), else `AWS_ENDPOINT_URL_S3`
//! or `AWS_ENDPOINT_URL`; with an endpoint, requests are path-style
//! (`{endpoint}/{bucket}/{key}`), without one they go to AWS (`{bucket}.s3.{region}.amazonaws.com`).

use std::fmt::Write as _;
use std::time::Duration;

use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

use super::PushError;
use super::target::Target;

/// A file larger than this is never read whole from a bucket (a broken or hostile target).
const MAX_OBJECT_BYTES: u64 = 8 << 30;

/// An S3 bucket and key prefix with the credentials to reach it.
pub struct S3Target {
    /// `https://host[:port]/bucket` or `https://bucket.s3.region.amazonaws.com`.
    base: String,
    host: String,
    /// The path of `base` (`/bucket` path-style, empty virtual-hosted).
    base_path: String,
    prefix: String,
    bucket: String,
    region: String,
    access_key: String,
    secret_key: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for S3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Target")
            .field("base", &self.base)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl S3Target {
    /// `prefix` may carry `?endpoint=URL`.
    pub fn from_env(bucket: &str, prefix: &str) -> Result<Self, PushError> {
        let (prefix, endpoint) = match prefix.split_once("?endpoint=") {
            Some((p, e)) => (
                p.trim_matches('/'),
                Some(e.trim_end_matches('/').to_owned()),
            ),
            None => (prefix, None),
        };
        let (bucket, endpoint) = match bucket.split_once("?endpoint=") {
            Some((b, e)) => (b, Some(e.trim_end_matches('/').to_owned())),
            None => (bucket, endpoint),
        };
        let url = format!("s3://{bucket}/{prefix}");
        let missing = |name: &str| PushError::Url {
            url: url.clone(),
            message: format!("{name} is not set"),
        };
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint = endpoint
            .or_else(|| env("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .map(|e| e.trim_end_matches('/').to_owned());
        let (base, base_path) = match &endpoint {
            Some(e) => (format!("{e}/{bucket}"), format!("/{bucket}")),
            None => (
                format!("https://{bucket}.s3.{region}.amazonaws.com"),
                String::new(),
            ),
        };
        let host = base
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_owned())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| PushError::Url {
                url: url.clone(),
                message: "the endpoint must look like https://host[:port]".into(),
            })?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Self {
            base,
            host,
            base_path,
            prefix: prefix.to_owned(),
            bucket: bucket.to_owned(),
            region,
            access_key: env("AWS_ACCESS_KEY_ID").ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?,
            secret_key: env("AWS_SECRET_ACCESS_KEY")
                .ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?,
            token: env("AWS_SESSION_TOKEN"),
            agent,
        })
    }

    fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    /// Signs and sends one request; returns the status and body.
    fn send(
        &self,
        op: &'static str,
        rel: &str,
        body: Option<&[u8]>,
    ) -> Result<(u16, Vec<u8>, Option<u64>), PushError> {
        let key = self.key(rel);
        let path = format!("{}/{}", self.base_path, uri_encode(&key, false));
        let url = format!("{}/{}", self.base, uri_encode(&key, false));
        let now = crate::time::rfc3339(crate::time::unix_now());
        let amz_date: String = now.chars().filter(|c| *c != '-' && *c != ':').collect();
        let payload_hash = hex::encode(Sha256::digest(body.unwrap_or_default()));
        let auth = self.authorization(op, &path, &amz_date, &payload_hash);
        let fail = |message: String| PushError::S3 {
            op,
            key: format!("s3://{}/{key}", self.bucket),
            message,
        };
        let mut headers = vec![
            ("x-amz-date", amz_date.clone()),
            ("x-amz-content-sha256", payload_hash),
            ("authorization", auth),
        ];
        if let Some(t) = &self.token {
            headers.push(("x-amz-security-token", t.clone()));
        }
        let result = match op {
            "PUT" => with_headers(self.agent.put(&url), &headers).send(body.unwrap_or_default()),
            "HEAD" => with_headers(self.agent.head(&url), &headers).call(),
            _ => with_headers(self.agent.get(&url), &headers).call(),
        };
        let mut res = result.map_err(|e| fail(e.to_string()))?;
        let status = res.status().as_u16();
        let length = res
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let bytes = if op == "HEAD" {
            Vec::new()
        } else {
            res.body_mut()
                .with_config()
                .limit(MAX_OBJECT_BYTES)
                .read_to_vec()
                .map_err(|e| fail(e.to_string()))?
        };
        if status >= 300 && status != 404 {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            return Err(fail(format!("HTTP {status}: {text}")));
        }
        Ok((status, bytes, length))
    }

    /// The `Authorization` header of AWS Signature Version 4 (host, date and payload hash
    /// signed; no query string).
    fn authorization(&self, method: &str, path: &str, amz_date: &str, payload: &str) -> String {
        let date = &amz_date[..8];
        let mut headers = vec![
            ("host", self.host.as_str()),
            ("x-amz-content-sha256", payload),
            ("x-amz-date", amz_date),
        ];
        if let Some(t) = &self.token {
            headers.push(("x-amz-security-token", t.as_str()));
        }
        let canonical_headers = headers.iter().fold(String::new(), |mut s, (k, v)| {
            let _ = writeln!(s, "{k}:{v}");
            s
        });
        let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
        let signed = signed.join(";");
        let canonical = format!("{method}\n{path}\n\n{canonical_headers}\n{signed}\n{payload}");
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut k = hmac(
            format!("AWS4{}", self.secret_key).as_bytes(),
            date.as_bytes(),
        );
        for part in [self.region.as_str(), "s3", "aws4_request"] {
            k = hmac(&k, part.as_bytes());
        }
        let signature = hex::encode(hmac(&k, to_sign.as_bytes()));
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            self.access_key
        )
    }
}

fn with_headers<B>(
    mut req: ureq::RequestBuilder<B>,
    headers: &[(&str, String)],
) -> ureq::RequestBuilder<B> {
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new(); // HMAC takes keys of any length
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// URI-encodes as SigV4 wants: every byte but `A-Za-z0-9-._~` (and `/` when `encode_slash`).
fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char);
            }
            b'/' if !encode_slash => out.push('/'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

impl Target for S3Target {
    fn put(&self, rel: &str, bytes: &[u8]) -> Result<(), PushError> {
        self.send("PUT", rel, Some(bytes)).map(|_| ())
    }

    fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, PushError> {
        let (status, bytes, _) = self.send("GET", rel, None)?;
        Ok((status != 404).then_some(bytes))
    }

    fn has(&self, rel: &str, size: u64) -> Result<bool, PushError> {
        let (status, _, length) = self.send("HEAD", rel, None)?;
        Ok(status != 404 && length == Some(size))
    }

    fn describe(&self) -> String {
        format!("s3://{}/{} ({})", self.bucket, self.prefix, self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of AWS's "Examples of how to derive a signing key for Signature Version
    /// 4" (the end-to-end signing is checked against a real S3 server by scripts/test-scale,
    /// which also sees a wrong secret refused).
    #[test]
    fn the_signing_key_matches_the_aws_example() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let mut k = hmac(format!("AWS4{secret}").as_bytes(), b"20120215");
        for part in ["us-east-1", "iam", "aws4_request"] {
            k = hmac(&k, part.as_bytes());
        }
        assert_eq!(
            hex::encode(k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn keys_are_encoded_as_sigv4_wants() {
        assert_eq!(uri_encode("a b/c~d.e", false), "a%20b/c~d.e");
        assert_eq!(uri_encode("土", false), "%E5%9C%9F");
    }
}
