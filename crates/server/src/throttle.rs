//! Rate limits: each group's message rate with priorities, failed password sign-ins, and the
//! requests of one connection.
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
use std::net::{IpAddr, Ipv6Addr};
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

/// The requests one connection may make (sends excepted: they have their own bounds), as a
/// token bucket of two seconds' worth refilled at `rate` per second; 0 = unlimited (S-28).
pub(crate) struct RequestBucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RequestBucket {
    pub fn new(rate: u32) -> Self {
        RequestBucket { rate: f64::from(rate), tokens: 2.0 * f64::from(rate), last: Instant::now() }
    }

    /// Take one request's token; false when the connection is over its rate.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&mut self, now: Instant) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(2.0 * self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
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

/// Failed password sign-ins, counted in one-minute windows per (user id, address), per user
/// id and per address. An attempt is counted when it starts, before the password hash is
/// checked, so parallel guesses cannot all slip through; a successful sign-in gives its count
/// back. Past any limit, attempts are refused (70050) until the window ends.
///
/// - Per (user, address) [`PER_PAIR`]: the guesses one host may make at one account. Another
///   host (the owner at work) is not locked out by them.
/// - Per user [`PER_USER`]: the guesses all hosts together may make at one account.
/// - Per address [`PER_ADDR`]: the guesses one host may make at all accounts. IPv6 addresses
///   count per /64, the block one host usually holds.
///
/// Memory is bounded whatever arrives: each map keeps at most [`MAX_KEYS`] entries (callers
/// validate user ids first, so a key is at most 32 bytes). When one fills up, ended windows are
/// dropped, then the older half.
#[derive(Default)]
pub(crate) struct SignInThrottle {
    inner: Mutex<SignIns>,
}

#[derive(Default)]
struct SignIns {
    pair: Windows<(String, IpAddr)>,
    user: Windows<String>,
    addr: Windows<IpAddr>,
}

pub(crate) const PER_PAIR: u32 = 5;
pub(crate) const PER_USER: u32 = 20;
pub(crate) const PER_ADDR: u32 = 60;
pub(crate) const MAX_KEYS: usize = 50_000;
const WINDOW: Duration = Duration::from_secs(60);

/// Counters in fixed windows: key → (window start, count).
struct Windows<K> {
    map: HashMap<K, (Instant, u32)>,
}

impl<K> Default for Windows<K> {
    fn default() -> Self {
        Windows { map: HashMap::new() }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Windows<K> {
    fn count(&self, k: &K, now: Instant) -> u32 {
        match self.map.get(k) {
            Some((start, n)) if now.duration_since(*start) < WINDOW => *n,
            _ => 0,
        }
    }

    fn add(&mut self, k: &K, now: Instant) {
        if self.map.len() >= MAX_KEYS && !self.map.contains_key(k) {
            self.map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if self.map.len() >= MAX_KEYS {
                let mut starts: Vec<Instant> = self.map.values().map(|(s, _)| *s).collect();
                starts.sort_unstable();
                let median = starts[starts.len() / 2];
                self.map.retain(|_, (start, _)| *start > median);
            }
        }
        let e = self.map.entry(k.clone()).or_insert((now, 0));
        if now.duration_since(e.0) >= WINDOW {
            *e = (now, 0);
        }
        e.1 += 1;
    }

    fn give_back(&mut self, k: &K) {
        if let Some(e) = self.map.get_mut(k) {
            e.1 = e.1.saturating_sub(1);
        }
    }
}

/// The address a host is counted under: IPv4 as is, IPv6 by its /64.
fn addr_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

impl SignInThrottle {
    /// Count a sign-in attempt of `user` from `ip`; false when a limit is reached (the attempt
    /// is then refused without checking the password, and not counted).
    pub fn begin(&self, user: &str, ip: IpAddr) -> bool {
        self.begin_at(user, ip, Instant::now())
    }

    fn begin_at(&self, user: &str, ip: IpAddr, now: Instant) -> bool {
        let ip = addr_key(ip);
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let pair = (user.to_string(), ip);
        let user = user.to_string();
        if s.pair.count(&pair, now) >= PER_PAIR
            || s.user.count(&user, now) >= PER_USER
            || s.addr.count(&ip, now) >= PER_ADDR
        {
            return false;
        }
        s.pair.add(&pair, now);
        s.user.add(&user, now);
        s.addr.add(&ip, now);
        true
    }

    /// The attempt begun by [`Self::begin`] succeeded: it does not count.
    pub fn succeeded(&self, user: &str, ip: IpAddr) {
        let ip = addr_key(ip);
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.pair.give_back(&(user.to_string(), ip));
        s.user.give_back(&user.to_string());
        s.addr.give_back(&ip);
    }

    /// Entries held (for tests: memory stays bounded).
    pub fn entries(&self) -> usize {
        let s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.pair.map.len() + s.user.map.len() + s.addr.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_gets_two_seconds_of_requests_then_its_rate() {
        let now = Instant::now();
        let mut b = RequestBucket::new(10);
        b.last = now;
        assert_eq!((0..100).filter(|_| b.take_at(now)).count(), 20, "a burst of two seconds' worth");
        let later = now + Duration::from_millis(500);
        assert_eq!((0..100).filter(|_| b.take_at(later)).count(), 5, "then 10 a second");
        let mut free = RequestBucket::new(0);
        assert!((0..10_000).all(|_| free.take_at(now)));
    }

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

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn guesses_are_limited_per_host_per_account_and_per_host() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        let a = ip("192.0.2.1");
        assert_eq!((0..10).filter(|_| t.begin_at("bob", a, now)).count(), PER_PAIR as usize);
        // The owner on another host is not locked out by them.
        assert!(t.begin_at("bob", ip("198.51.100.7"), now));
        // A successful attempt gives its count back.
        t.succeeded("bob", ip("198.51.100.7"));
        // The next window starts afresh.
        assert!(t.begin_at("bob", a, now + WINDOW));
        // One host, many accounts.
        let b = ip("203.0.113.9");
        let allowed = (0..200).filter(|i| t.begin_at(&format!("u{i}"), b, now)).count();
        assert_eq!(allowed, PER_ADDR as usize);
        // Many hosts, one account.
        let allowed =
            (0..200).filter(|i| t.begin_at("carol", ip(&format!("10.0.{}.{}", i / 250, i % 250)), now)).count();
        assert_eq!(allowed, PER_USER as usize);
        // IPv6 counts per /64.
        let allowed = (0..20).filter(|i| t.begin_at("dave", ip(&format!("2001:db8::{i:x}")), now)).count();
        assert_eq!(allowed, PER_PAIR as usize);
    }

    #[test]
    fn memory_stays_bounded_whatever_arrives() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        for i in 0..(3 * MAX_KEYS as u32) {
            let host = IpAddr::from(i.to_be_bytes());
            t.begin_at(&format!("user{i}"), host, now + Duration::from_micros(u64::from(i)));
        }
        assert!(t.entries() <= 3 * MAX_KEYS, "{} entries", t.entries());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Attempts (user, host, milliseconds since the previous attempt, succeeded?).
        fn attempts() -> impl Strategy<Value = Vec<(u8, u8, u32, bool)>> {
            proptest::collection::vec((0u8..4, 0u8..4, 0u32..20_000, proptest::bool::weighted(0.1)), 1..400)
        }

        /// How many admitted, not refunded attempts fall in any stretch shorter than one
        /// window, per key: fixed windows allow at most twice the limit across a boundary.
        fn max_in_any_window<K: std::hash::Hash + Eq>(log: &[(Instant, K)], key: &K) -> usize {
            let times: Vec<Instant> = log.iter().filter(|(_, k)| k == key).map(|(t, _)| *t).collect();
            (0..times.len())
                .map(|i| times[i..].iter().take_while(|t| t.duration_since(times[i]) < WINDOW).count())
                .max()
                .unwrap_or(0)
        }

        proptest! {
            #[test]
            fn sign_in_limits_hold_over_any_sequence(seq in attempts()) {
                let t = SignInThrottle::default();
                let mut now = Instant::now();
                let mut pairs = Vec::new();
                let mut users = Vec::new();
                let mut hosts = Vec::new();
                for (u, h, dt, ok) in seq {
                    now += Duration::from_millis(u64::from(dt));
                    let (user, host) = (format!("u{u}"), IpAddr::from([192, 0, 2, h]));
                    if t.begin_at(&user, host, now) && !ok {
                        pairs.push((now, (u, h)));
                        users.push((now, u));
                        hosts.push((now, h));
                    } else if ok {
                        t.succeeded(&user, host);
                    }
                }
                for u in 0..4u8 {
                    prop_assert!(max_in_any_window(&users, &u) <= 2 * PER_USER as usize);
                    for h in 0..4u8 {
                        prop_assert!(max_in_any_window(&pairs, &(u, h)) <= 2 * PER_PAIR as usize);
                    }
                }
                for h in 0..4u8 {
                    prop_assert!(max_in_any_window(&hosts, &h) <= 2 * PER_ADDR as usize);
                }
                // After a whole window of silence, anyone may try again.
                prop_assert!(t.begin_at("u0", IpAddr::from([192, 0, 2, 0]), now + WINDOW));
            }

            #[test]
            fn a_group_never_gets_more_than_its_rate_plus_one_second(
                rate in 1u32..50,
                seq in proptest::collection::vec((0u32..4, 0u64..200_000), 1..600),
            ) {
                let t = GroupThrottle::new(rate);
                let mut now = Instant::now();
                let mut admitted = Vec::new();
                for (priority, dt) in seq {
                    now += Duration::from_micros(dt);
                    if t.admit_at("g", priority, now) {
                        admitted.push(now);
                    }
                }
                // A full bucket (one second's budget) plus what refills in the second itself.
                for i in 0..admitted.len() {
                    let within = admitted[i..].iter().take_while(|t| t.duration_since(admitted[i]) < Duration::from_secs(1)).count();
                    prop_assert!(within <= 2 * rate as usize, "{} in one second at rate {}", within, rate);
                }
            }
        }
    }
}
