//! CPU-bound work (making, serialising and compressing a call-record batch) on tokio's
//! blocking threads, at most as many at once as the machine has cores. An agent for one
//! PBX has one such job at a time anyway; a process that runs many simulated PBXes
//! (`zentrale simulate`, the benchmarks) would otherwise start hundreds at once, share the
//! cores among all of them, and finish them all late together, where real PBXes, each
//! with its own processor, hand over their batches one after the other.

use std::sync::LazyLock;
use tokio::sync::Semaphore;

static CORES: LazyLock<Semaphore> = LazyLock::new(|| {
    let n = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new(n)
});

/// Runs `f` on a blocking thread once a core is free; `Err` when the task panicked.
pub async fn run<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    // The semaphore is never closed, so acquiring only waits.
    let _core = CORES.acquire().await;
    tokio::task::spawn_blocking(f).await
}
