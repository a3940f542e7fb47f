//! Timing: warm up, then time each operation on its own with `Instant`,
//! sort the samples and read p50 and p99; throughput is operations over the
//! wall time of the timed loop. Also the seeded generator that makes every
//! system see the same sequence of requests.

use std::time::{Duration, Instant};

/// SplitMix64: small, fast and seeded, so that every system replays the
/// same choices.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator started at `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`); the bias of a 64-bit modulo is far
    /// below anything a benchmark can see.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }
}

/// `n` indexes into `0..len`, drawn from `seed`.
pub fn picks(seed: u64, n: usize, len: usize) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.below(len)).collect()
}

/// The credentials of a timed loop's requests laid out in the order they
/// are made, each with the user it should authenticate as, the way a
/// server finds a request in the buffer it has just received: reading the
/// next one costs no cache miss, so a lookup row times the system rather
/// than the bench's own random reads of its seed list (two misses a
/// request at 1M stored, a third of authkv's time).
pub struct Arrivals {
    text: String,
    spans: Vec<(usize, usize, u64)>,
}

impl Arrivals {
    /// The `(credential, user)` pairs, in request order.
    pub fn new<'a>(requests: impl Iterator<Item = (&'a str, u64)>) -> Self {
        let mut text = String::new();
        let mut spans = Vec::new();
        for (credential, user) in requests {
            let start = text.len();
            text.push_str(credential);
            spans.push((start, text.len(), user));
        }
        Self { text, spans }
    }

    /// The `i`-th request's credential and user.
    pub fn get(&self, i: usize) -> (&str, u64) {
        let (start, end, user) = self.spans[i];
        (&self.text[start..end], user)
    }
}

/// The outcome of one timed run.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    /// Operations timed.
    pub ops: u64,
    /// Wall time of the timed loop.
    pub elapsed: Duration,
    /// Median latency of one operation.
    pub p50: Duration,
    /// 99th percentile latency of one operation.
    pub p99: Duration,
}

impl Measured {
    /// Percentiles of `samples` (nanoseconds) over a loop of `elapsed`.
    pub fn from_samples(mut samples: Vec<u64>, elapsed: Duration) -> Self {
        samples.sort_unstable();
        let at = |pct: usize| {
            let i = (samples.len() * pct / 100).min(samples.len().saturating_sub(1));
            Duration::from_nanos(samples.get(i).copied().unwrap_or(0))
        };
        Self {
            ops: samples.len() as u64,
            elapsed,
            p50: at(50),
            p99: at(99),
        }
    }

    /// Operations per second over the wall time.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Nanoseconds since `start`, saturated.
pub fn nanos_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Samples gathered over one or more timed loops (interleaved rounds add
/// to the same series).
#[derive(Default)]
pub struct Series {
    samples: Vec<u64>,
    elapsed: Duration,
}

impl Series {
    /// Time `op(i)` for each `i` in `range`, one call at a time.
    pub fn time(&mut self, range: std::ops::Range<usize>, mut op: impl FnMut(usize)) {
        self.samples.reserve(range.len());
        let start = Instant::now();
        for i in range {
            let t = Instant::now();
            op(i);
            self.samples.push(nanos_since(t));
        }
        self.elapsed += start.elapsed();
    }

    /// Add samples timed elsewhere over a loop of `elapsed`.
    pub fn extend(&mut self, samples: Vec<u64>, elapsed: Duration) {
        self.samples.extend(samples);
        self.elapsed += elapsed;
    }

    /// Percentiles and throughput of everything gathered.
    pub fn finish(self) -> Measured {
        Measured::from_samples(self.samples, self.elapsed)
    }
}

/// Run `op(i)` for `i` in `0..warmup` untimed, then for `warmup..warmup+n`
/// timing each call.
pub fn time_ops(warmup: usize, n: usize, mut op: impl FnMut(usize)) -> Measured {
    for i in 0..warmup {
        op(i);
    }
    let mut series = Series::default();
    series.time(warmup..warmup + n, op);
    series.finish()
}

/// Run `threads` threads for `duration`; thread `t` calls `op(state, rng)`
/// in a loop with its own generator (seeded by `t` and `seed`) and times
/// each call. `setup` runs once per thread, inside it, before the clock
/// starts (a connection per thread). Returns the samples and the wall time
/// until the last thread stopped.
pub fn time_threads<S>(
    threads: usize,
    duration: Duration,
    seed: u64,
    setup: impl Fn() -> S + Sync,
    op: impl Fn(&mut S, &mut Rng) + Sync,
) -> (Vec<u64>, Duration) {
    let barrier = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, setup, op) = (&barrier, &setup, &op);
                scope.spawn(move || {
                    let mut state = setup();
                    let mut rng = Rng::new(seed.wrapping_mul(1_000_003) + t as u64);
                    let mut samples = Vec::with_capacity(1 << 16);
                    barrier.wait();
                    let start = Instant::now();
                    while start.elapsed() < duration {
                        let t0 = Instant::now();
                        op(&mut state, &mut rng);
                        samples.push(nanos_since(t0));
                    }
                    samples
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let mut all = Vec::new();
        for handle in handles {
            all.extend(handle.join().expect("a benchmark thread finished"));
        }
        (all, start.elapsed())
    })
}
