//! A heap profile of a running process, for finding where an idle connection's bytes go
//! (docs/benchmarks.md, idle memory). Built only with `--features dhat-heap`: every
//! allocation is then recorded by `dhat`, which is far slower than the normal allocator.
//!
//! The profile is written when the file `$ZENTRALE_DHAT_OUT.stop` appears (checked once a
//! second), so its "t-end" part holds exactly what is alive at that moment, e.g. 1,000
//! idle PBX connections; without `ZENTRALE_DHAT_OUT` it is written at exit to
//! `dhat-heap.json`.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Starts recording; keep the result alive until the process ends.
pub fn start() -> Option<dhat::Profiler> {
    let Ok(out) = std::env::var("ZENTRALE_DHAT_OUT") else {
        return Some(dhat::Profiler::new_heap());
    };
    let profiler = dhat::Profiler::builder().file_name(&out).build();
    let stop = std::path::PathBuf::from(format!("{out}.stop"));
    std::thread::spawn(move || {
        while !stop.exists() {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        drop(profiler);
    });
    None
}
