//! Bounded exponential backoff for reads that may fail while a store is away.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Result};

/// How often and how long to retry an operation that failed because the
/// store could not be reached. Only errors for which [`is_transient`] holds
/// are retried; every other error is returned at once.
///
/// ```
/// use std::time::Duration;
/// let policy = confo::RetryPolicy::default().with_deadline(Duration::from_secs(5));
/// assert_eq!(policy.delay(0), Duration::from_millis(50));
/// assert!(policy.delay(20) <= policy.max_delay);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub initial_delay: Duration,
    /// Upper bound of any one delay.
    pub max_delay: Duration,
    /// Each delay is the previous one times this.
    pub multiplier: f64,
    /// Give up once this much time has passed since the first attempt.
    pub deadline: Duration,
    /// Give up after this many attempts in all.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
            multiplier: 2.0,
            deadline: Duration::from_secs(30),
            max_attempts: 50,
        }
    }
}

impl RetryPolicy {
    /// No retries: the first error is returned.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The same policy with another overall deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The delay before retry number `retry` (0-based), capped at `max_delay`.
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = self.multiplier.max(1.0).powi(retry.min(64) as i32);
        let secs = self.initial_delay.as_secs_f64() * factor;
        Duration::from_secs_f64(secs.min(self.max_delay.as_secs_f64()))
    }

    /// Runs `op` until it succeeds, fails with an error that is not
    /// transient, or the attempts or the deadline run out (then the last
    /// error is returned).
    pub async fn run<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let start = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match op().await {
                Ok(v) => return Ok(v),
                Err(e) if !is_transient(&e) => return Err(e),
                Err(e) => {
                    let delay = self.delay(attempt - 1);
                    if attempt >= self.max_attempts || start.elapsed() + delay > self.deadline {
                        return Err(e);
                    }
                    tracing::debug!(error = %e, attempt, ?delay, "retrying after a transient error");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

/// True for errors that may go away by themselves: the store could not be
/// reached or lost the connection.
///
/// ```
/// let e = confo::Error::Connection { backend: "zk://h:1".into(), message: "lost".into() };
/// assert!(confo::is_transient(&e));
/// assert!(!confo::is_transient(&confo::Error::NoNamespace));
/// ```
pub fn is_transient(error: &Error) -> bool {
    matches!(error, Error::Connection { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn conn() -> Error {
        Error::Connection {
            backend: "test".into(),
            message: "down".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_until_success() {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy::default();
        let out = policy
            .run(|| async {
                if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                    Err(conn())
                } else {
                    Ok(7)
                }
            })
            .await
            .unwrap();
        assert_eq!(out, 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline_and_never_retries_other_errors() {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy::default().with_deadline(Duration::from_secs(1));
        let err = policy
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(conn())
            })
            .await
            .unwrap_err();
        assert!(is_transient(&err));
        let n = calls.load(Ordering::SeqCst);
        assert!((2..10).contains(&n), "{n} attempts within 1 s");

        calls.store(0, Ordering::SeqCst);
        let err = policy
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(Error::NoNamespace)
            })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NoNamespace));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
