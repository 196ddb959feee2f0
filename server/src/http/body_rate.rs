//! A request body that must keep up a minimum average rate: after a grace period, the
//! bytes received must stay ahead of `rate × (elapsed − grace)`, else the body ends with
//! [`BodyTooSlow`]. This ends a client that opens an upload and trickles it (or stops
//! sending) without waiting for the whole upload time limit.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The body fell below the minimum rate.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived slower than {rate} bytes per second")]
pub struct BodyTooSlow {
    pub rate: u64,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// See the module documentation. A `rate` of 0 turns the check off.
pub struct MinRate<B> {
    inner: B,
    rate: u64,
    grace: Duration,
    start: Instant,
    received: u64,
    timer: Pin<Box<Sleep>>,
}

impl<B> MinRate<B> {
    pub fn new(inner: B, rate: u64, grace: Duration) -> Self {
        let start = Instant::now();
        Self {
            inner,
            rate,
            grace,
            start,
            received: 0,
            timer: Box::pin(tokio::time::sleep_until(start + grace)),
        }
    }

    fn deadline(&self) -> Instant {
        let ahead = Duration::from_secs_f64(self.received as f64 / self.rate.max(1) as f64);
        self.start + self.grace + ahead
    }
}

impl<B> Body for MinRate<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending if this.rate == 0 => Poll::Pending,
            Poll::Pending => {
                let deadline = this.deadline();
                if this.timer.deadline() != deadline {
                    this.timer.as_mut().reset(deadline);
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Some(Err(Box::new(BodyTooSlow { rate: this.rate }))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::{BodyExt, StreamBody};

    use super::*;

    type Chunks = StreamBody<
        futures_util::stream::BoxStream<'static, Result<Frame<Bytes>, std::convert::Infallible>>,
    >;

    /// A body that sends `n` bytes, then nothing more and never ends.
    fn stalls_after(n: usize) -> Chunks {
        let first = futures_util::stream::iter([Ok(Frame::data(Bytes::from(vec![b'x'; n])))]);
        let stream = futures_util::StreamExt::chain(first, futures_util::stream::pending());
        StreamBody::new(futures_util::StreamExt::boxed(stream))
    }

    #[tokio::test]
    async fn a_stalled_body_ends_after_the_grace_and_what_it_sent_buys() {
        let t = Instant::now();
        let mut body = MinRate::new(stalls_after(512), 1024, Duration::from_secs(1));
        assert!(body.frame().await.unwrap().is_ok());
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(err.is::<BodyTooSlow>(), "{err}");
        // 1 s of grace plus the half second that 512 bytes at 1 KiB/s buy.
        assert!(
            t.elapsed() >= Duration::from_millis(1500),
            "{:?}",
            t.elapsed()
        );
    }

    #[tokio::test]
    async fn a_rate_of_zero_never_ends_a_body() {
        let mut body = MinRate::new(stalls_after(1), 0, Duration::from_millis(10));
        assert!(body.frame().await.unwrap().is_ok());
        let waited = tokio::time::timeout(Duration::from_secs(1), body.frame()).await;
        assert!(waited.is_err());
    }
}
