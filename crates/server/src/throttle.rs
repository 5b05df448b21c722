//! Rate limits: each group's message rate with priorities, and failed password sign-ins.
//!
//! Layer: foundation. Imports nothing of this crate.
//!
//! ## Group message rate (TIMMsgPriority)
//!
//! Each group has a token bucket holding one second of its rate (`Config::group_msg_rate`
//! messages per second, refilled continuously). A message is admitted while the bucket keeps
//! more than the share reserved for the priorities above it:
//!
//! | priority | may use the bucket down to |
//! |---|---|
//! | High (0) | empty |
//! | Normal (1) | 20 % of capacity (the rest is kept for High) |
//! | Low (2) | 50 % |
//! | Lowest (3) | 70 % |
//!
//! So when a group is flooded, the less important messages are refused first (10023,
//! `ERR_SVR_GROUP_SEND_MSG_FREQ_LIMIT`: the sender is told, nothing vanishes silently) and the
//! reserve lets high-priority messages (gifts, likes, red packets) through while normal ones
//! are being refused.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Fraction of the bucket a priority must leave untouched (index = TIMMsgPriority).
const RESERVE: [f64; 4] = [0.0, 0.2, 0.5, 0.7];

/// Buckets idle for this long are forgotten (they would be full again anyway).
const FORGET_AFTER_SECS: f64 = 10.0;

struct Bucket {
    tokens: f64,
    last: Instant,
}

pub(crate) struct GroupThrottle {
    /// Messages per second per group; 0 = unlimited.
    rate: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl GroupThrottle {
    pub fn new(rate: u32) -> Self {
        GroupThrottle { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for a message of `priority` into `group`, or answers false when the
    /// group is over its rate for that priority.
    pub fn admit(&self, group: &str, priority: u32) -> bool {
        self.admit_at(group, priority, Instant::now())
    }

    fn admit_at(&self, group: &str, priority: u32, now: Instant) -> bool {
        if self.rate == 0 {
            return true;
        }
        let cap = f64::from(self.rate);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 4096 {
            buckets.retain(|_, b| now.duration_since(b.last).as_secs_f64() < FORGET_AFTER_SECS);
        }
        let b = buckets.entry(group.to_string()).or_insert(Bucket { tokens: cap, last: now });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * cap).min(cap);
        b.last = now;
        let reserve = RESERVE[priority.min(3) as usize] * cap;
        if b.tokens - 1.0 >= reserve - 1e-9 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Failed password sign-ins per user id: after `MAX_FAILURES` within `FAILURE_WINDOW`, further
/// attempts are refused (70050) until the window passes.
#[derive(Default)]
pub(crate) struct SignInThrottle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

const MAX_FAILURES: usize = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

impl SignInThrottle {
    pub fn blocked(&self, user: &str) -> bool {
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let v = m.entry(user.to_string()).or_default();
        v.retain(|t| t.elapsed() < FAILURE_WINDOW);
        v.len() >= MAX_FAILURES
    }

    pub fn fail(&self, user: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(user.to_string())
            .or_default()
            .push(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_when_rate_is_zero() {
        let t = GroupThrottle::new(0);
        assert!((0..10_000).all(|_| t.admit("g", 1)));
    }

    #[test]
    fn normal_leaves_a_reserve_for_high() {
        let t = GroupThrottle::new(10);
        let now = Instant::now();
        let normal = (0..20).filter(|_| t.admit_at("g", 1, now)).count();
        assert_eq!(normal, 8, "normal may use 80 % of one second's budget");
        let high = (0..20).filter(|_| t.admit_at("g", 0, now)).count();
        assert_eq!(high, 2, "high takes the reserve");
        assert!(!t.admit_at("g", 0, now));
        // Another group is not affected.
        assert!(t.admit_at("other", 1, now));
    }

    #[test]
    fn lower_priorities_are_refused_first_and_tokens_refill() {
        let t = GroupThrottle::new(10);
        let now = Instant::now();
        assert_eq!((0..20).filter(|_| t.admit_at("g", 3, now)).count(), 3);
        assert_eq!((0..20).filter(|_| t.admit_at("g", 2, now)).count(), 2);
        assert_eq!((0..20).filter(|_| t.admit_at("g", 1, now)).count(), 3);
        assert!(!t.admit_at("g", 1, now));
        let later = now + Duration::from_millis(500);
        assert_eq!((0..20).filter(|_| t.admit_at("g", 1, later)).count(), 5, "half a second refills 5 tokens");
        let much_later = later + Duration::from_secs(60);
        assert_eq!((0..20).filter(|_| t.admit_at("g", 0, much_later)).count(), 10, "never more than one second");
    }
}
