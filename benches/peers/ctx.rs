//! Context shared by the scenarios.

use crate::*;

pub(crate) struct Ctx {
    pub(crate) plan: Plan,
    pub(crate) port: u16,
    pub(crate) url: String,
    pub(crate) python: PathBuf,
    pub(crate) peers_py: PathBuf,
    pub(crate) confo_bin: PathBuf,
    pub(crate) self_exe: PathBuf,
    pub(crate) work: PathBuf,
    pub(crate) raw: zk::Client,
    pub(crate) confo: Confo,
    pub(crate) backend: Arc<dyn Backend>,
}

/// Loop bounds: no scenario runs one implementation longer than this per round.
pub(crate) const ROUND_BUDGET: Duration = Duration::from_secs(60);
/// A child process (Python peer, follower) gets at most this long per call.
pub(crate) const CHILD_TIMEOUT: Duration = Duration::from_secs(300);

/// Times `iters` calls of `op` (after `warmup` untimed ones), stopping early
/// when the round's time budget is spent.
pub(crate) async fn time_async<F, Fut, T>(
    warmup: usize,
    iters: usize,
    mut op: F,
) -> Result<Vec<u64>, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    for _ in 0..warmup {
        std::hint::black_box(op().await?);
    }
    let start = Instant::now();
    let mut samples = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        let value = op().await?;
        samples.push(t.elapsed().as_nanos() as u64);
        drop(std::hint::black_box(value));
        if start.elapsed() > ROUND_BUDGET {
            break;
        }
    }
    Ok(samples)
}

pub(crate) fn err_string(e: impl std::fmt::Display) -> String {
    e.to_string()
}
