//! What quick repair costs a durable commit: a lone writer's
//! `create_session` (one transaction, one fsync) on the large file, with
//! quick repair off and on. The settings take turns in blocks, reopening
//! the engine each time, so that a drift of the disk's speed during the
//! run weighs on both alike.

use std::path::Path;
use std::time::{Duration, Instant};

use authkv::{Config, Engine};

/// Blocks per setting.
const BLOCKS: usize = 3;

/// The timed creates with quick repair off, then with it on; `per_setting`
/// of each.
pub fn durable_creates(path: &Path, per_setting: usize) -> [Vec<Duration>; 2] {
    let mut samples = [Vec::new(), Vec::new()];
    let per_block = per_setting.div_ceil(BLOCKS);
    for _ in 0..BLOCKS {
        for (quick_repair, times) in [false, true].into_iter().zip(samples.iter_mut()) {
            let mut config = Config::default();
            config.quick_repair = quick_repair;
            let engine = Engine::open(path, config).expect("open the file");
            for _ in 0..per_block {
                let start = Instant::now();
                engine
                    .create_session("198.51.100.7", "footprint-commit")
                    .expect("a durable create");
                times.push(start.elapsed());
            }
            engine.close().expect("close cleanly");
        }
    }
    samples
}
