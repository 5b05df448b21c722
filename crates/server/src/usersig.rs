//! UserSig: the TLSSigAPIv2 ticket format.
//!
//! A UserSig is `base64'(zlib(json))`, where base64' is standard base64 with `+ / =` replaced by
//! `* - _`, and the JSON holds `TLS.ver` "2.0", `TLS.identifier`, `TLS.sdkappid`, `TLS.time`,
//! `TLS.expire` and `TLS.sig` = base64(HMAC-SHA256(secret key, content)), with content the lines
//! `TLS.identifier:<id>\nTLS.sdkappid:<app>\nTLS.time:<t>\nTLS.expire:<e>\n` (plus
//! `TLS.userbuf:<b64>\n` when a user buffer is present). Tickets made by Tencent's published
//! generators for the same SDKAppID and key verify here, and ours verify there.
use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use confab_protocol::codes;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Why a UserSig was refused, each with its TIM code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("UserSig is empty")]
    Empty,
    #[error("UserSig is malformed or its signature does not verify")]
    CheckFailed,
    #[error("UserSig was issued for another user")]
    MismatchId,
    #[error("UserSig was issued for another SDKAppID")]
    MismatchSdkAppId,
    #[error("UserSig expired")]
    Expired,
}

impl SigError {
    pub fn code(&self) -> i32 {
        match self {
            SigError::Empty => codes::ERR_SVR_ACCOUNT_USERSIG_EMPTY,
            SigError::CheckFailed => codes::ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED,
            SigError::MismatchId => codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID,
            SigError::MismatchSdkAppId => codes::ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID,
            SigError::Expired => codes::ERR_SVR_ACCOUNT_USERSIG_EXPIRED,
        }
    }
}

fn content(identifier: &str, sdk_app_id: u64, time: i64, expire: i64, userbuf: Option<&str>) -> String {
    let mut s =
        format!("TLS.identifier:{identifier}\nTLS.sdkappid:{sdk_app_id}\nTLS.time:{time}\nTLS.expire:{expire}\n");
    if let Some(b) = userbuf {
        s.push_str(&format!("TLS.userbuf:{b}\n"));
    }
    s
}

fn mac(key: &str, content: &str) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
    m.update(content.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn encode_b64url(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    let std: String = s
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    STANDARD.decode(std.as_bytes()).ok()
}

/// Make a UserSig valid for `expire` seconds from `now` (unix seconds).
pub fn generate(sdk_app_id: u64, key: &str, identifier: &str, expire: i64, now: i64) -> String {
    let sig = STANDARD.encode(mac(key, &content(identifier, sdk_app_id, now, expire, None)));
    let doc = json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdk_app_id,
        "TLS.expire": expire,
        "TLS.time": now,
        "TLS.sig": sig,
    });
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    enc.write_all(doc.to_string().as_bytes()).expect("writing to a Vec cannot fail");
    encode_b64url(&enc.finish().expect("writing to a Vec cannot fail"))
}

/// The facts a valid UserSig vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Unix seconds at which the ticket stops being valid.
    pub expires_at: i64,
    /// Unix seconds at which it was issued (`TLS.time`): revocation compares it with the
    /// user's epoch.
    pub issued_at: i64,
}

/// Verify `sig` for `identifier` under this app's key at time `now`.
pub fn verify(sdk_app_id: u64, key: &str, identifier: &str, sig: &str, now: i64) -> Result<Verified, SigError> {
    if sig.is_empty() {
        return Err(SigError::Empty);
    }
    if sig.len() > 4096 {
        return Err(SigError::CheckFailed);
    }
    let compressed = decode_b64url(sig).ok_or(SigError::CheckFailed)?;
    // Bounded inflate: a ticket is a few hundred bytes; refuse anything that inflates past 8 KiB.
    let mut raw = Vec::new();
    ZlibDecoder::new(compressed.as_slice())
        .take(8 * 1024 + 1)
        .read_to_end(&mut raw)
        .map_err(|_| SigError::CheckFailed)?;
    if raw.len() > 8 * 1024 {
        return Err(SigError::CheckFailed);
    }
    let doc: Value = serde_json::from_slice(&raw).map_err(|_| SigError::CheckFailed)?;
    let get_i64 = |k: &str| -> Option<i64> {
        let v = doc.get(k)?;
        v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    };
    let app = doc
        .get("TLS.sdkappid")
        .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
        .ok_or(SigError::CheckFailed)?;
    let ident = doc.get("TLS.identifier").and_then(Value::as_str).ok_or(SigError::CheckFailed)?;
    let time = get_i64("TLS.time").ok_or(SigError::CheckFailed)?;
    let expire = get_i64("TLS.expire").ok_or(SigError::CheckFailed)?;
    let claimed = doc
        .get("TLS.sig")
        .and_then(Value::as_str)
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or(SigError::CheckFailed)?;
    let userbuf = doc.get("TLS.userbuf").and_then(Value::as_str);
    if app != sdk_app_id {
        return Err(SigError::MismatchSdkAppId);
    }
    if ident != identifier {
        return Err(SigError::MismatchId);
    }
    let expected = mac(key, &content(ident, app, time, expire, userbuf));
    if !bool::from(expected.ct_eq(&claimed)) {
        return Err(SigError::CheckFailed);
    }
    let expires_at = time.saturating_add(expire);
    if expires_at < now {
        return Err(SigError::Expired);
    }
    Ok(Verified { expires_at, issued_at: time })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    #[test]
    fn test_round_trip_and_each_refusal() {
        let now = 1_700_000_000;
        let sig = generate(1400000001, KEY, "alice", 86400, now);
        assert!(sig.chars().all(|c| c.is_ascii_alphanumeric() || "*-_".contains(c)));
        assert_eq!(verify(1400000001, KEY, "alice", &sig, now + 10).unwrap().expires_at, now + 86400);
        assert_eq!(verify(1400000001, KEY, "bob", &sig, now), Err(SigError::MismatchId));
        assert_eq!(verify(1400000002, KEY, "alice", &sig, now), Err(SigError::MismatchSdkAppId));
        assert_eq!(verify(1400000001, "other-key", "alice", &sig, now), Err(SigError::CheckFailed));
        assert_eq!(verify(1400000001, KEY, "alice", &sig, now + 86401), Err(SigError::Expired));
        assert_eq!(verify(1400000001, KEY, "alice", "", now), Err(SigError::Empty));
        assert_eq!(verify(1400000001, KEY, "alice", "not*a*sig", now), Err(SigError::CheckFailed));
    }

    #[test]
    fn test_tampered_expiry_is_refused() {
        let now = 1_700_000_000;
        let sig = generate(1400000001, KEY, "alice", 10, now);
        // Re-pack the same JSON with a longer expiry but the old signature.
        let raw = {
            let mut out = Vec::new();
            ZlibDecoder::new(decode_b64url(&sig).unwrap().as_slice()).read_to_end(&mut out).unwrap();
            out
        };
        let mut doc: Value = serde_json::from_slice(&raw).unwrap();
        doc["TLS.expire"] = json!(999_999);
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
        enc.write_all(doc.to_string().as_bytes()).unwrap();
        let forged = encode_b64url(&enc.finish().unwrap());
        assert_eq!(verify(1400000001, KEY, "alice", &forged, now + 100), Err(SigError::CheckFailed));
    }

    #[test]
    fn test_known_answer_signature() {
        // HMAC-SHA256 of the documented content layout, computed independently with Python's
        // hmac module: hmac.new(KEY, b"TLS.identifier:alice\nTLS.sdkappid:1400000001\n
        // TLS.time:1700000000\nTLS.expire:86400\n", sha256) -> base64 below.
        let c = content("alice", 1400000001, 1_700_000_000, 86400, None);
        assert_eq!(STANDARD.encode(mac(KEY, &c)), KNOWN_SIG);
    }

    /// The ticket's JSON, as text.
    fn unpack(sig: &str) -> String {
        let mut out = Vec::new();
        ZlibDecoder::new(decode_b64url(sig).unwrap().as_slice()).read_to_end(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn pack(text: &[u8]) -> String {
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::best());
        enc.write_all(text).unwrap();
        encode_b64url(&enc.finish().unwrap())
    }

    /// R8: tickets a hostile client might make are refused with their code, without panicking
    /// and without inflating more than a few KiB.
    #[test]
    fn test_hostile_tickets_are_refused() {
        let now = 1_700_000_000;
        let app = 1_400_000_001;
        let sig = generate(app, KEY, "alice", 86400, now);
        let doc: Value = serde_json::from_str(&unpack(&sig)).unwrap();
        // A zlib bomb: under 4 KiB of text that inflates to megabytes.
        let mut bomb_text = br#"{"TLS.ver":"2.0","TLS.identifier":""#.to_vec();
        bomb_text.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
        let bomb = pack(&bomb_text);
        assert!(bomb.len() < 4096, "the bomb is {} chars", bomb.len());
        assert_eq!(verify(app, KEY, "alice", &bomb, now), Err(SigError::CheckFailed));
        // Over 4,096 characters: refused before decoding.
        let long = format!("{sig}{}", "A".repeat(4097 - sig.len()));
        assert_eq!(long.len(), 4097);
        assert_eq!(verify(app, KEY, "alice", &long, now), Err(SigError::CheckFailed));
        // Identifier or SDKAppID changed, the original HMAC kept.
        let mut other = doc.clone();
        other["TLS.identifier"] = json!("mallory");
        assert_eq!(verify(app, KEY, "mallory", &pack(other.to_string().as_bytes()), now), Err(SigError::CheckFailed));
        let mut other = doc.clone();
        other["TLS.sdkappid"] = json!(1_400_000_002u64);
        assert_eq!(
            verify(1_400_000_002, KEY, "alice", &pack(other.to_string().as_bytes()), now),
            Err(SigError::CheckFailed)
        );
        // A duplicate key appended (parsers that keep the first and those that keep the last
        // must not disagree into an acceptance).
        let text = unpack(&sig);
        let dup = format!("{},\"TLS.identifier\":\"mallory\"}}", text.trim_end().trim_end_matches('}'));
        assert!(verify(app, KEY, "mallory", &pack(dup.as_bytes()), now).is_err());
        assert!(verify(app, KEY, "alice", &pack(dup.as_bytes()), now).is_err());
        // A user buffer added to (or changed in) a ticket signed without it.
        let mut other = doc.clone();
        other["TLS.userbuf"] = json!(STANDARD.encode(b"role=admin"));
        assert_eq!(verify(app, KEY, "alice", &pack(other.to_string().as_bytes()), now), Err(SigError::CheckFailed));
        // Garbage of every shape: never a panic.
        for junk in ["", "*", "eJ", "eJw*", &"_".repeat(4096), "eJyrVkrOz8tLTS5JTVGyUkpKLElUqgUAVpoHsw**"] {
            assert!(verify(app, KEY, "alice", junk, now).is_err(), "{junk}");
        }
    }

    const KNOWN_SIG: &str = "5erILjL2RgL0eIBZdzTvLd7kTpliTdfrIf7HGsfiRhw=";
}
