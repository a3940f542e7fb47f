//! What one random memory access costs on this machine, the floor under a
//! cached lookup among a million entries: a chase through 256 MiB of
//! 128-byte nodes in random order (each load needs the one before), with
//! 4 KiB pages and with transparent huge pages, as the summary caches get.
//!
//! `cargo bench --bench memory`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

/// Bytes chased through: about what a million cached summaries take.
const SPAN: usize = 256 << 20;
/// One node per summary-sized slot.
const NODE: usize = 128;
const HUGE_PAGE: usize = 2 << 20;

/// A node's successor index in its first word; nodes in one random cycle.
fn chain(huge: bool) -> Vec<[u64; NODE / 8]> {
    let nodes = SPAN / NODE;
    let mut table: Vec<[u64; NODE / 8]> = Vec::with_capacity(nodes);
    let start = table.as_ptr() as usize;
    let (first, last) = (
        start.next_multiple_of(HUGE_PAGE),
        (start + SPAN) / HUGE_PAGE * HUGE_PAGE,
    );
    let advice = if huge {
        libc::MADV_HUGEPAGE
    } else {
        libc::MADV_NOHUGEPAGE
    };
    // SAFETY: the range lies inside the vector's allocation; the advice
    // changes only how it is backed.
    unsafe { libc::madvise(first as *mut libc::c_void, last - first, advice) };
    table.resize(nodes, [0; NODE / 8]);
    // Sattolo's shuffle: one cycle through every node.
    let mut order: Vec<u64> = (0..nodes as u64).collect();
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    for i in (1..nodes).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % i as u64) as usize);
    }
    for i in 0..nodes {
        table[order[i] as usize][0] = order[(i + 1) % nodes];
    }
    table
}

fn random_access(c: &mut Criterion) {
    for (label, huge) in [("4 KiB pages", false), ("huge pages", true)] {
        let table = chain(huge);
        let mut at = 0usize;
        c.bench_function(&format!("random access, 256 MiB, {label}"), |b| {
            b.iter(|| {
                at = table[at][0] as usize;
                black_box(at)
            })
        });
    }
}

criterion_group!(benches, random_access);
criterion_main!(benches);
