//! Latency figures and delivery accounting.
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::{parse_text, PushMsg};

/// Latencies in microseconds.
#[derive(Default, Clone)]
pub struct Lat(pub Vec<u64>);

impl Lat {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d.as_micros() as u64);
    }

    pub fn extend(&mut self, other: &Lat) {
        self.0.extend_from_slice(&other.0);
    }

    fn pct(sorted: &[u64], p: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[i] as f64 / 1000.0
    }

    /// `p50 / p99 / max` in milliseconds.
    pub fn summary(&self) -> String {
        let mut v = self.0.clone();
        v.sort_unstable();
        format!(
            "p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (n={})",
            Self::pct(&v, 0.5),
            Self::pct(&v, 0.99),
            Self::pct(&v, 1.0),
            v.len()
        )
    }

    pub fn p(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_unstable();
        Self::pct(&v, p)
    }
}

/// What receivers got: latency from the send time written in the text, and every
/// (receiver, sender, n) once, to find duplicates.
pub struct Deliveries {
    epoch: Instant,
    /// Ignore a sender's own messages pushed back to it (group members get their own sends).
    skip_self: bool,
    inner: Mutex<DeliveryState>,
}

#[derive(Default)]
struct DeliveryState {
    lat: Lat,
    seen: HashSet<(usize, usize, u64)>,
    dups: u64,
}

impl Deliveries {
    pub fn new(epoch: Instant) -> Self {
        Deliveries { epoch, skip_self: false, inner: Mutex::new(DeliveryState::default()) }
    }

    /// Ignore messages pushed back to their own sender.
    pub fn skipping_self(mut self) -> Self {
        self.skip_self = true;
        self
    }

    pub fn record(&self, receiver: usize, msg: &PushMsg) {
        let now = self.epoch.elapsed().as_micros() as u64;
        let Some((sent, sender, n)) = parse_text(msg) else { return };
        if self.skip_self && sender == receiver {
            return;
        }
        let mut s = self.inner.lock().unwrap();
        if !s.seen.insert((receiver, sender, n)) {
            s.dups += 1;
            return;
        }
        s.lat.0.push(now.saturating_sub(sent));
    }

    pub fn count(&self) -> u64 {
        self.inner.lock().unwrap().seen.len() as u64
    }

    pub fn has(&self, receiver: usize, sender: usize, n: u64) -> bool {
        self.inner.lock().unwrap().seen.contains(&(receiver, sender, n))
    }

    pub fn dups(&self) -> u64 {
        self.inner.lock().unwrap().dups
    }

    pub fn lat(&self) -> Lat {
        self.inner.lock().unwrap().lat.clone()
    }
}

/// Wait until `done()` or the timeout passes.
pub async fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}
