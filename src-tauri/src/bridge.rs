//! The one place that calls the SDK's JSON surface: a TIM call by name, its callback awaited,
//! mapped to `Ok(json)` or a [`CmdError`].
use confab_core::Sdk;
use serde_json::Value;

use crate::dto::{CmdError, TimReply};

/// Call and wait for the whole outcome (synchronous result, outputs, callback).
pub async fn raw(sdk: &Sdk, api: &str, params: &Value) -> TimReply {
    let inv = sdk.call(api, params).await;
    let (code, json) = match inv.callback {
        Some(cb) => {
            let r = cb.await;
            (Some(r.code), r.json)
        }
        None => (None, inv.outputs.get("json").cloned().unwrap_or(Value::Null)),
    };
    let desc = if inv.result != 0 { inv.desc } else { String::new() };
    TimReply { result: inv.result, desc, outputs: inv.outputs, code, json }
}

/// Call; `Ok` with the callback's JSON (or the synchronous `json` output) when both the
/// synchronous result and the callback code are 0.
pub async fn call(sdk: &Sdk, api: &str, params: Value) -> Result<Value, CmdError> {
    let inv = sdk.call(api, &params).await;
    if inv.result != 0 {
        return Err(CmdError { code: inv.result, message: inv.desc });
    }
    match inv.callback {
        Some(cb) => {
            let r = cb.await;
            if r.code != 0 {
                Err(CmdError { code: r.code, message: r.desc })
            } else {
                Ok(r.json)
            }
        }
        None => Ok(inv.outputs.get("json").cloned().unwrap_or(Value::Null)),
    }
}
