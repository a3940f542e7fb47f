//! What a durable commit's flush costs on this machine's disk, the floor
//! under every durable row: `fdatasync` after writing N 4 KiB pages into a
//! file, the pages either side by side (as a log appends them) or at
//! scattered offsets (as a copy-on-write B-tree places a commit's pages).
//! Only the flush is timed.
//!
//! `cargo bench --bench disk`

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// The file's size: large enough that scattered pages rarely neighbour.
const SPAN: u64 = 64 << 20;
const PAGE: u64 = 4096;

/// A file of `SPAN` bytes already written and flushed, so that the timed
/// writes overwrite allocated blocks instead of growing the file.
fn written_file(dir: &tempfile::TempDir) -> File {
    let file = File::create(dir.path().join("pages")).expect("create the file");
    let block = vec![1u8; 1 << 20];
    for at in (0..SPAN).step_by(block.len()) {
        file.write_all_at(&block, at).expect("fill the file");
    }
    file.sync_all().expect("flush the file");
    file
}

fn flush_after_writes(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = written_file(&dir);
    let page = vec![2u8; PAGE as usize];
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut random_page = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % (SPAN / PAGE - 64)
    };
    let mut group = c.benchmark_group("fdatasync after writing");
    group.sample_size(30);
    for pages in [1u64, 4, 16] {
        for scattered in [false, true] {
            let layout = if scattered {
                "scattered"
            } else {
                "side by side"
            };
            group.bench_function(format!("{pages} pages {layout}"), |b| {
                b.iter_custom(|iters| {
                    let mut flushing = Duration::ZERO;
                    for _ in 0..iters {
                        let first = random_page();
                        for k in 0..pages {
                            let at = if scattered { random_page() } else { first + k };
                            file.write_all_at(&page, at * PAGE).expect("write a page");
                        }
                        let t = Instant::now();
                        file.sync_data().expect("flush");
                        flushing += t.elapsed();
                    }
                    flushing
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, flush_after_writes);
criterion_main!(benches);
