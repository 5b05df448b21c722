//! Reading a call's parameters: a parameter the C API takes as a JSON string may be given as a
//! JSON value or as a string holding JSON; a bad one is [`Bad`], the synchronous TIMResult.
use confab_protocol::codes::{TIM_ERR_JSON, TIM_ERR_PARAM};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A call refused synchronously: its TIMResult and description.
pub(crate) struct Bad(pub i32, pub String);

/// A JSON parameter: a JSON value, or a string holding JSON; absent / null / "" is None.
pub(crate) fn json_param<T: DeserializeOwned>(params: &Value, key: &str) -> Result<Option<T>, Bad> {
    let v = match params.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => {
            serde_json::from_str::<Value>(s).map_err(|e| Bad(TIM_ERR_JSON, format!("{key} is not valid JSON: {e}")))?
        }
        Some(v) => v.clone(),
    };
    serde_json::from_value(v).map(Some).map_err(|e| Bad(TIM_ERR_JSON, format!("{key} has the wrong shape: {e}")))
}

pub(crate) fn str_param(params: &Value, key: &str) -> Result<String, Bad> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Bad(TIM_ERR_PARAM, format!("{key} must be a string"))),
    }
}

pub(crate) fn u64_param(params: &Value, key: &str) -> Result<u64, Bad> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v.as_u64().ok_or_else(|| Bad(TIM_ERR_PARAM, format!("{key} must be a non-negative integer"))),
    }
}
