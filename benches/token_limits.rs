//! What a rate limit and quota add to authenticating a cached token: the
//! same engine, one token without limits and one with both, counted in the
//! side file every process on the file shares (the default mode); and the
//! same over 10k tokens drawn at random, so that the counters' slots miss
//! the CPU caches as a busy server's would.
//!
//! `cargo bench --bench token_limits`

use std::hint::black_box;
use std::time::Duration;

use authkv::{Clock, Config, Engine, ManualClock, Quota, RateLimit, TokenLimits};
use criterion::{Criterion, criterion_group, criterion_main};

const T0: u64 = 1_700_000_000;
const TOKENS: usize = 10_000;

/// Limits a benchmark never reaches.
fn generous() -> TokenLimits {
    TokenLimits {
        rate_limit: Some(RateLimit {
            max: u64::MAX / 2,
            window: Duration::from_secs(3600),
        }),
        quota: Some(Quota {
            remaining: u64::MAX / 2,
            refill_amount: u64::MAX / 2,
            refill_interval: Some(Duration::from_secs(86_400)),
        }),
    }
}

fn tokens(engine: &Engine, limits: &TokenLimits) -> Vec<String> {
    (0..TOKENS)
        .map(|user| {
            let token = engine
                .create_token_with_limits(user as u64, "bench", ["*"], None, limits)
                .expect("create");
            token.plain_text.expose().to_owned()
        })
        .collect()
}

fn authenticate(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::default();
    config.clock = Clock::Manual(ManualClock::new(T0));
    config.durable_commits = false;
    let engine = Engine::open(dir.path().join("bench.redb"), config).expect("open");
    let plain = tokens(&engine, &TokenLimits::default());
    let limited = tokens(&engine, &generous());
    for (label, list) in [("no limits", &plain), ("rate limit + quota", &limited)] {
        let one = &list[0];
        c.bench_function(&format!("token: same token, {label}"), |b| {
            b.iter(|| black_box(engine.authenticate_token(one).expect("ok").expect("valid")))
        });
        let mut i = 0usize;
        c.bench_function(&format!("token: 10k tokens (random), {label}"), |b| {
            b.iter(|| {
                i = (i + 7919) % list.len();
                black_box(
                    engine
                        .authenticate_token(&list[i])
                        .expect("ok")
                        .expect("valid"),
                )
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4));
    targets = authenticate
}
criterion_main!(benches);
