//! Blocking work from a handler: files, SQLite and long CPU work run on tokio's blocking
//! pool, never on an async worker thread (which would stall every request it carries).

use super::ApiError;

/// Runs `work` on the blocking pool and waits for it. Its error becomes an [`ApiError`]
/// through `Into`; a panic inside `work` is a 500 (the cause is logged).
pub async fn blocking<T, E, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
        .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use axum::http::StatusCode;

    use super::*;

    /// On a single-threaded runtime, work that waits for another task of the same runtime
    /// finishes only if it runs on another thread. (The timeout only ends a failing test.)
    #[tokio::test(flavor = "current_thread")]
    async fn work_runs_off_the_async_thread() {
        let (tx, rx) = mpsc::channel();
        let waiting = blocking(move || {
            rx.recv_timeout(Duration::from_secs(30))
                .map_err(|e| ApiError::internal(format!("the async task never ran: {e}")))
        });
        let sender = async move {
            tokio::task::yield_now().await;
            tx.send(7).unwrap();
        };
        let (got, ()) = tokio::join!(waiting, sender);
        assert_eq!(got.unwrap(), 7);
    }

    #[tokio::test]
    async fn errors_convert_and_panics_are_500() {
        let refused = blocking(|| Err::<(), _>(ApiError::not_found("nothing here")))
            .await
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::NOT_FOUND);
        let panicked = blocking(|| -> Result<(), ApiError> { panic!("boom") })
            .await
            .unwrap_err();
        assert_eq!(panicked.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(panicked.code, "internal_error");
    }
}
