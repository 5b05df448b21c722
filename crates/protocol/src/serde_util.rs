//! Small serde helpers for the quirks of the TIM wire format.
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A `u32` bit mask that C++ callers may send as a negative `int` (the owner bit 0x80000000
/// arrives as -2147483648). Accept both and reinterpret as unsigned.
pub(crate) fn u32_mask<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(0),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u32::try_from(u).map_err(serde::de::Error::custom)
            } else if let Some(i) = n.as_i64() {
                if i < i64::from(i32::MIN) {
                    Err(serde::de::Error::custom("flag out of range"))
                } else {
                    Ok(i as i32 as u32)
                }
            } else {
                Err(serde::de::Error::custom("flag must be an integer"))
            }
        }
        _ => Err(serde::de::Error::custom("flag must be an integer")),
    }
}

/// A list that some old outputs send as `{}` instead of `[]`.
pub(crate) fn vec_or_empty_object<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Object(m) if m.is_empty() => Ok(Vec::new()),
        Value::Array(_) => serde_json::from_value(v).map_err(serde::de::Error::custom),
        _ => Err(serde::de::Error::custom("expected an array")),
    }
}

/// A group type that legacy samples give as a string (`"Public"`) instead of the integer.
pub(crate) fn group_type<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(0),
        Value::Number(n) => n
            .as_u64()
            .and_then(|u| u32::try_from(u).ok())
            .ok_or_else(|| serde::de::Error::custom("group type must be a small integer")),
        Value::String(s) => match s.as_str() {
            "Public" => Ok(0),
            "Private" | "Work" => Ok(1),
            "ChatRoom" | "Meeting" => Ok(2),
            "BChatRoom" => Ok(3),
            "AVChatRoom" => Ok(4),
            "Community" => Ok(5),
            other => Err(serde::de::Error::custom(format!("unknown group type {other:?}"))),
        },
        _ => Err(serde::de::Error::custom("group type must be an integer")),
    }
}

/// Strip NUL padding that one legacy sample shows in string fields.
pub(crate) fn trimmed_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    Ok(s.trim_end_matches('\u{0}').to_string())
}
