//! A small S3 client: plain HTTPS (or HTTP for a local server) with AWS Signature Version 4
//! over ureq, instead of an SDK. Used by the layer store (`store::S3Store`) and the public
//! push (`push`), which each add their own meaning on top.
//!
//! A location is written `s3://bucket/prefix[?endpoint=URL]`. Credentials come from the
//! standard environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optional
//! `AWS_SESSION_TOKEN`, `AWS_REGION` (or `AWS_DEFAULT_REGION`, default `us-east-1`). The
//! endpoint is the URL's `endpoint` parameter, else `AWS_ENDPOINT_URL_S3` or
//! `AWS_ENDPOINT_URL`; with an endpoint, requests are path-style (`{endpoint}/{bucket}/{key}`),
//! without one they go to AWS (`{bucket}.s3.{region}.amazonaws.com`).

use std::fmt::Write as _;
use std::fs::File;
use std::io::Read;
use std::time::Duration;

use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

/// A response body larger than this is never read whole (a broken or hostile server).
const MAX_WHOLE_BYTES: u64 = 8 << 30;

/// Why an S3 request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum S3Error {
    /// The location or the credentials are not usable.
    #[error("`{url}`: {message}")]
    Url { url: String, message: String },
    /// The server could not be reached, or did not answer in time.
    #[error("S3 {op} {key}: {message}")]
    Unreachable {
        op: &'static str,
        key: String,
        message: String,
    },
    /// The server answered with an error status (`code` is S3's error code, if any).
    #[error("S3 {op} {key}: HTTP {status}: {code} {message}")]
    Status {
        op: &'static str,
        key: String,
        status: u16,
        code: String,
        message: String,
    },
    /// A local file (the spooled body of an upload) could not be read or written.
    #[error("S3 {op} {key}: {source}")]
    Io {
        op: &'static str,
        key: String,
        source: std::io::Error,
    },
}

impl S3Error {
    /// True when the server is unreachable, slow or failing (5xx): worth retrying later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Status { status, .. } => *status >= 500 && *status != 507,
            _ => false,
        }
    }

    /// True when the bucket is out of space or over its quota.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Status { status: 507, .. })
            || matches!(self, Self::Status { code, .. }
                if matches!(code.as_str(), "QuotaExceeded" | "XMinioStorageFull" | "InsufficientStorage"))
            || matches!(self, Self::Io { source, .. } if source.raw_os_error() == Some(libc::ENOSPC))
    }

    /// The HTTP status the server answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The body of a request.
pub enum Body<'a> {
    Empty,
    Bytes(&'a [u8]),
    /// A file read from its start, with its SHA-256 (hex) already known.
    File(File, String),
}

/// What a successful (2xx) or 404 answer said.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub etag: Option<String>,
    pub length: Option<u64>,
    body: Option<ureq::Body>,
}

impl Answer {
    /// The body as a stream (empty for HEAD).
    pub fn into_reader(self) -> Box<dyn Read + Send> {
        match self.body {
            Some(b) => Box::new(b.into_reader()),
            None => Box::new(std::io::empty()),
        }
    }
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The key relative to the client's prefix.
    pub rel: String,
    pub size: u64,
    /// `LastModified` in Unix seconds (the server's clock).
    pub modified: i64,
}

/// A bucket and key prefix with the credentials to reach it.
pub struct Client {
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
    /// Keys asked for per listing page (S3's own limit is 1000).
    page_size: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("s3::Client")
            .field("base", &self.base)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Client {
    /// Opens `s3://bucket/prefix[?endpoint=URL]` with the credentials of the environment.
    pub fn from_url(url: &str) -> Result<Self, S3Error> {
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(S3Error::Url {
                url: url.to_owned(),
                message: "use s3://bucket/prefix".into(),
            });
        };
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
        let prefix = match query {
            Some(q) => format!("{}?{q}", prefix.trim_matches('/')),
            None => prefix.trim_matches('/').to_owned(),
        };
        if bucket.is_empty() {
            return Err(S3Error::Url {
                url: url.to_owned(),
                message: "name the bucket: s3://bucket/prefix".into(),
            });
        }
        Self::from_env(bucket, &prefix)
    }

    /// `bucket` or `prefix` may carry `?endpoint=URL`.
    pub fn from_env(bucket: &str, prefix: &str) -> Result<Self, S3Error> {
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
        let bad = |message: String| S3Error::Url {
            url: url.clone(),
            message,
        };
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            || bucket.len() < 3
            || bucket.len() > 63
        {
            return Err(bad(format!(
                "`{bucket}` is not a bucket name (3 to 63 of a-z, 0-9, `-` and `.`)"
            )));
        }
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
            .filter(|(scheme, _)| matches!(*scheme, "http" | "https"))
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_owned())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("the endpoint must look like https://host[:port]".into()))?;
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_send_request(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_send_body(Some(Duration::from_secs(600)))
            .timeout_recv_body(Some(Duration::from_secs(600)))
            .http_status_as_error(false)
            .build()
            .into();
        let missing = |name: &str| bad(format!("{name} is not set"));
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
            page_size: 1000,
        })
    }

    /// Lists in pages of `n` keys (tests use small pages to see the paging work).
    #[must_use]
    pub fn with_page_size(mut self, n: u32) -> Self {
        self.page_size = n.clamp(1, 1000);
        self
    }

    /// The full key of a path relative to the prefix.
    pub fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    /// `s3://bucket/key` of a relative path, for messages.
    pub fn url_of(&self, rel: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(rel))
    }

    /// The location as an operator wrote it, with the server, for logs.
    pub fn describe(&self) -> String {
        format!("s3://{}/{} ({})", self.bucket, self.prefix, self.base)
    }

    /// PUT an object. `conditions` are extra headers such as `If-None-Match: *` or
    /// `If-Match: "etag"`; a failed condition is `Ok(None)` (HTTP 412, or 409 when a
    /// concurrent write got in the way). Returns the new object's ETag.
    pub fn put(
        &self,
        rel: &str,
        body: Body<'_>,
        conditions: &[(&'static str, String)],
    ) -> Result<Option<Option<String>>, S3Error> {
        match self.send("PUT", rel, &[], conditions, body) {
            Ok(a) => Ok(Some(a.etag)),
            Err(S3Error::Status {
                status: 412 | 409, ..
            }) if !conditions.is_empty() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET an object as a stream; `None` when it does not exist.
    pub fn get(&self, rel: &str) -> Result<Option<Answer>, S3Error> {
        let a = self.send("GET", rel, &[], &[], Body::Empty)?;
        Ok((a.status != 404).then_some(a))
    }

    /// GET a whole object into memory; `None` when it does not exist.
    pub fn get_bytes(&self, rel: &str) -> Result<Option<Vec<u8>>, S3Error> {
        let Some(a) = self.get(rel)? else {
            return Ok(None);
        };
        let mut body = a.body;
        let Some(body) = body.as_mut() else {
            return Ok(Some(Vec::new()));
        };
        body.with_config()
            .limit(MAX_WHOLE_BYTES)
            .read_to_vec()
            .map(Some)
            .map_err(|e| S3Error::Unreachable {
                op: "GET",
                key: self.url_of(rel),
                message: e.to_string(),
            })
    }

    /// HEAD an object: its size and ETag, `None` when it does not exist.
    pub fn head(&self, rel: &str) -> Result<Option<Answer>, S3Error> {
        let a = self.send("HEAD", rel, &[], &[], Body::Empty)?;
        Ok((a.status != 404).then_some(a))
    }

    /// DELETE an object (a missing one is no error).
    pub fn delete(&self, rel: &str) -> Result<(), S3Error> {
        self.send("DELETE", rel, &[], &[], Body::Empty).map(|_| ())
    }

    /// Every object under `rel_prefix` (relative to the client's prefix), following the
    /// listing's continuation tokens page by page.
    pub fn list(&self, rel_prefix: &str) -> Result<Vec<Object>, S3Error> {
        let full = self.key(rel_prefix);
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![
                ("list-type".to_owned(), "2".to_owned()),
                ("prefix".to_owned(), full.clone()),
                ("max-keys".to_owned(), self.page_size.to_string()),
            ];
            if let Some(t) = &token {
                query.push(("continuation-token".to_owned(), t.clone()));
            }
            let a = self.send("LIST", "", &query, &[], Body::Empty)?;
            if a.status == 404 {
                return Err(S3Error::Status {
                    op: "LIST",
                    key: format!("s3://{}", self.bucket),
                    status: 404,
                    code: "NoSuchBucket".into(),
                    message: "the bucket does not exist".into(),
                });
            }
            let xml = read_text(a, "LIST", &self.url_of(rel_prefix))?;
            for item in elements(&xml, "Contents") {
                let key = element(item, "Key").map(unescape).unwrap_or_default();
                out.push(Object {
                    rel: key.strip_prefix(&strip).unwrap_or(&key).to_owned(),
                    size: element(item, "Size")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0),
                    modified: element(item, "LastModified")
                        .and_then(crate::time::parse_rfc3339)
                        .unwrap_or(0),
                });
            }
            token = (element(&xml, "IsTruncated") == Some("true"))
                .then(|| element(&xml, "NextContinuationToken").map(unescape))
                .flatten();
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// [`Client::send_once`], again up to twice more when a request that changes nothing
    /// (GET, HEAD, LIST) or that may be repeated (DELETE) gets a 5xx: s3s-fs, for one,
    /// answers a listing with 500 when an object goes away while it walks the folder.
    fn send(
        &self,
        op: &'static str,
        rel: &str,
        query: &[(String, String)],
        extra: &[(&'static str, String)],
        body: Body<'_>,
    ) -> Result<Answer, S3Error> {
        if matches!(body, Body::Empty) && op != "PUT" {
            for pause in [20, 100] {
                match self.send_once(op, rel, query, extra, Body::Empty) {
                    Err(S3Error::Status { status, .. }) if (500..600).contains(&status) => {
                        std::thread::sleep(Duration::from_millis(pause));
                    }
                    other => return other,
                }
            }
        }
        self.send_once(op, rel, query, extra, body)
    }

    /// Signs and sends one request. A 404 is an [`Answer`] (the caller knows what it means);
    /// any other status of 300 or more is an error naming S3's error code.
    fn send_once(
        &self,
        op: &'static str,
        rel: &str,
        query: &[(String, String)],
        extra: &[(&'static str, String)],
        body: Body<'_>,
    ) -> Result<Answer, S3Error> {
        let key = self.key(rel);
        let (method, path, url_path) = if op == "LIST" {
            ("GET", format!("{}/", self.base_path), String::from("/"))
        } else {
            let enc = uri_encode(&key, false);
            (op, format!("{}/{enc}", self.base_path), format!("/{enc}"))
        };
        let mut sorted: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
            .collect();
        sorted.sort();
        let canonical_query = sorted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let url = if canonical_query.is_empty() {
            format!("{}{url_path}", self.base)
        } else {
            format!("{}{url_path}?{canonical_query}", self.base)
        };
        let now = crate::time::rfc3339(crate::time::unix_now());
        let amz_date: String = now.chars().filter(|c| *c != '-' && *c != ':').collect();
        let payload_hash = match &body {
            Body::Empty => hex::encode(Sha256::digest(b"")),
            Body::Bytes(b) => hex::encode(Sha256::digest(b)),
            Body::File(_, sha) => sha.clone(),
        };
        let name = self.url_of(rel);
        let auth = self.authorization(method, &path, &canonical_query, &amz_date, &payload_hash);
        let unreachable = |message: String| S3Error::Unreachable {
            op,
            key: name.clone(),
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
        headers.extend(extra.iter().cloned());
        let result = match (method, body) {
            ("PUT", Body::Bytes(b)) => with_headers(self.agent.put(&url), &headers).send(b),
            ("PUT", Body::File(f, _)) => with_headers(self.agent.put(&url), &headers).send(f),
            ("PUT", Body::Empty) => with_headers(self.agent.put(&url), &headers).send(&[][..]),
            ("HEAD", _) => with_headers(self.agent.head(&url), &headers).call(),
            ("DELETE", _) => with_headers(self.agent.delete(&url), &headers).call(),
            _ => with_headers(self.agent.get(&url), &headers).call(),
        };
        let res = result.map_err(|e| unreachable(e.to_string()))?;
        let status = res.status().as_u16();
        let header = |n: &str| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let answer = Answer {
            status,
            etag: header("etag"),
            length: header("content-length").and_then(|v| v.parse().ok()),
            body: None,
        };
        let answer = Answer {
            body: (method != "HEAD").then(|| res.into_body()),
            ..answer
        };
        if status >= 300 && status != 404 {
            let text = if method == "HEAD" {
                String::new()
            } else {
                read_text(answer, op, &name).unwrap_or_default()
            };
            let code = element(&text, "Code").unwrap_or_default().to_owned();
            let message = element(&text, "Message").map_or_else(
                || text.chars().take(300).collect::<String>(),
                |m| unescape(m).chars().take(300).collect(),
            );
            return Err(S3Error::Status {
                op,
                key: name,
                status,
                code,
                message,
            });
        }
        Ok(answer)
    }

    /// The `Authorization` header of AWS Signature Version 4 (host, date and payload hash
    /// signed, plus the security token when there is one).
    fn authorization(
        &self,
        method: &str,
        path: &str,
        query: &str,
        amz_date: &str,
        payload: &str,
    ) -> String {
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
        let canonical =
            format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{payload}");
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

/// Reads a (small) text body, such as a listing or an error document.
fn read_text(a: Answer, op: &'static str, key: &str) -> Result<String, S3Error> {
    let Some(mut body) = a.body else {
        return Ok(String::new());
    };
    body.with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| S3Error::Unreachable {
            op,
            key: key.to_owned(),
            message: e.to_string(),
        })
}

/// The text of the first `<tag>…</tag>` in `xml` (S3's answers are flat enough for this).
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    elements(xml, tag).next()
}

/// The text of every `<tag>…</tag>` in `xml`.
fn elements<'a>(xml: &'a str, tag: &str) -> impl Iterator<Item = &'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let end = start + rest[start..].find(&close)?;
        let text = &rest[start..end];
        rest = &rest[end + close.len()..];
        Some(text)
    })
}

/// Undoes XML's five escapes.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
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
        assert_eq!(uri_encode("a/b", true), "a%2Fb");
    }

    #[test]
    fn listings_and_errors_are_read() {
        let xml = "<ListBucketResult><IsTruncated>true</IsTruncated>\
            <Contents><Key>p/a&amp;b</Key><Size>3</Size></Contents>\
            <Contents><Key>p/c</Key><Size>4</Size></Contents>\
            <NextContinuationToken>t+1</NextContinuationToken></ListBucketResult>";
        let keys: Vec<_> = elements(xml, "Contents")
            .filter_map(|c| element(c, "Key"))
            .map(unescape)
            .collect();
        assert_eq!(keys, ["p/a&b", "p/c"]);
        assert_eq!(element(xml, "NextContinuationToken"), Some("t+1"));
        assert_eq!(element(xml, "Missing"), None);
    }

    #[test]
    fn bad_locations_say_what_to_write() {
        for (url, says) in [
            ("s3://", "name the bucket"),
            ("s3:///prefix", "name the bucket"),
            ("s3://Bad_Bucket/x", "not a bucket name"),
            ("gs://b/x", "use s3://"),
            ("s3://bucket/x?endpoint=ftp://h", "https://host"),
        ] {
            let e = Client::from_url(url).unwrap_err().to_string();
            assert!(e.contains(says), "{url}: {e}");
        }
    }
}
