//! Clean open: how long `Engine::open` takes on a file that was closed
//! cleanly (redb then loads its saved allocator state instead of walking
//! the file). Each cycle closes the engine again; only the open is timed.

use std::path::Path;
use std::time::{Duration, Instant};

use authkv::{Config, Engine};

/// Time `cycles` opens of `path` with the default configuration.
pub fn clean_opens(path: &Path, cycles: usize) -> Vec<Duration> {
    (0..cycles)
        .map(|_| {
            let start = Instant::now();
            let engine = Engine::open(path, Config::default()).expect("open the clean file");
            let took = start.elapsed();
            engine.close().expect("close cleanly");
            took
        })
        .collect()
}
