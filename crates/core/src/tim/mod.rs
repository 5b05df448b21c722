//! The JSON surface: TIM calls by name with TIM JSON parameters.
//!
//! `Sdk::call(api, params)` does the synchronous part and returns an [`Invocation`]: the
//! `TIMResult` (0 = accepted), synchronous outputs (e.g. `message_id`, or `json` for getters)
//! and, when accepted and the call has a callback, a future for the callback's
//! `(code, desc, json)`. `json` is `""` where the TIM API returns no data.
//!
//! Parameters are named as in the C prototypes (`conv_id`, `conv_type`, `json_msg_param`, ...).
//! A parameter the C API takes as a JSON string may be given as a JSON value or as a string
//! holding JSON. Undecodable JSON answers `TIM_ERR_JSON` (-3) synchronously; missing or invalid
//! fields answer 6017 in the callback; calls before `TIMInit` answer `TIM_ERR_SDKUNINIT` (-1);
//! calls that need a login answer 6014 in the callback when there is none.
//!
//! - `params.rs`: reading the parameters (`json_param`, `str_param`, `u64_param`, [`Bad`]);
//! - `dispatch.rs`: the calls by name, each on the typed `Sdk` methods and the features;
//! - `group.rs`: the group calls' names and parameters.
//!
//! Layer: tim, the top: an adapter over the `Sdk` and the features (it may import everything
//! below it), and nothing but `lib.rs` imports it.
//!
//! [`Bad`]: params::Bad
use std::future::Future;
use std::pin::Pin;

use confab_protocol::codes::{self, TIM_ERR_JSON, TIM_ERR_PARAM, TIM_ERR_SDKUNINIT, TIM_SUCC};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::sdk::Sdk;
use params::Bad;

pub mod dispatch;
pub mod group;
pub mod params;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A callback's arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub code: i32,
    pub desc: String,
    pub json: Value,
}

impl Reply {
    pub fn ok(json: Value) -> Reply {
        Reply { code: 0, desc: String::new(), json }
    }
    pub fn empty() -> Reply {
        Reply::ok(Value::String(String::new()))
    }
    pub fn err(e: &Error) -> Reply {
        Reply { code: e.code(), desc: e.to_string(), json: Value::String(String::new()) }
    }
}

pub struct Invocation {
    pub result: i32,
    pub desc: String,
    pub outputs: Map<String, Value>,
    pub callback: Option<BoxFuture<Reply>>,
    /// For calls whose callback also reports progress (TIMMsgDownloadElemToPath): the progress
    /// JSON values, in order; the stream ends before the callback's final reply.
    pub progress: Option<tokio::sync::mpsc::UnboundedReceiver<Value>>,
}

impl Invocation {
    pub(crate) fn sync(result: i32, desc: impl Into<String>) -> Invocation {
        Invocation { result, desc: desc.into(), outputs: Map::new(), callback: None, progress: None }
    }
    pub(crate) fn output(key: &str, v: Value) -> Invocation {
        let mut outputs = Map::new();
        outputs.insert(key.into(), v);
        Invocation { result: TIM_SUCC, desc: String::new(), outputs, callback: None, progress: None }
    }
    /// The callback future as is (its work already started in the synchronous part).
    pub(crate) fn ready(f: impl Future<Output = Reply> + Send + 'static) -> Invocation {
        Invocation {
            result: TIM_SUCC,
            desc: String::new(),
            outputs: Map::new(),
            callback: Some(Box::pin(f)),
            progress: None,
        }
    }
}

/// Every API name `call` understands besides the group calls ([`GROUP_APIS`](group::GROUP_APIS)): TIM names,
/// plus the Confab account calls.
pub const APIS: &[&str] = &[
    "TIMMsgSetC2CReceiveMessageOpt",
    "TIMMsgGetC2CReceiveMessageOpt",
    "TIMMsgCancelSend",
    "TIMMsgFindByMsgLocatorList",
    "TIMMsgImportMsgList",
    "TIMMsgSaveMsg",
    "TIMMsgDelete",
    "TIMMsgListDelete",
    "TIMMsgClearHistoryMessage",
    "TIMMsgSetLocalCustomData",
    "TIMMsgDownloadMergerMessage",
    "TIMMsgDownloadElemToPath",
    "TIMMsgSearchLocalMessages",
    "TIMMsgBatchSend",
    "TIMInit",
    "TIMUninit",
    "TIMGetSDKVersion",
    "TIMSetConfig",
    "TIMGetServerTime",
    "TIMLogin",
    "TIMLogout",
    "TIMGetLoginStatus",
    "TIMGetLoginUserID",
    "TIMConvCreate",
    "TIMConvDelete",
    "TIMConvGetConvList",
    "TIMConvGetConvInfo",
    "TIMConvSetDraft",
    "TIMConvCancelDraft",
    "TIMConvGetTotalUnreadMessageCount",
    "TIMConvPinConversation",
    "TIMMsgSendMessage",
    "TIMMsgSendNewMsg",
    "TIMMsgGetMsgList",
    "TIMMsgReportReaded",
    "TIMMsgMarkAllMessageAsRead",
    "TIMMsgRevoke",
    "TIMMsgFindMessages",
    "TIMProfileGetUserProfileList",
    "TIMProfileModifySelfUserProfile",
    "ConfabRegister",
    "ConfabSignIn",
    "ConfabChangePassword",
    "ConfabSignOutEverywhere",
    "ConfabMediaCachePath",
    "ConfabServerInfo",
];

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub(crate) fn reply<T: serde::Serialize>(r: Result<T>) -> Reply {
    match r {
        Ok(v) => Reply::ok(to_json(&v)),
        Err(e) => Reply::err(&e),
    }
}

pub(crate) fn reply_empty(r: Result<()>) -> Reply {
    match r {
        Ok(()) => Reply::empty(),
        Err(e) => Reply::err(&e),
    }
}

impl Sdk {
    /// Start the asynchronous part of a call now (as the C API does) on a task the SDK owns;
    /// the returned callback future only waits for it. Uninit cancels what is still running
    /// (its callback then reports 7009).
    pub(crate) fn later(&self, f: impl Future<Output = Reply> + Send + 'static) -> Invocation {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.spawn_call(async move {
            let _ = tx.send(f.await);
        });
        Invocation::ready(async move {
            rx.await.unwrap_or_else(|_| Reply {
                code: codes::ERR_SDK_COMM_INTERRUPT,
                desc: "the call was interrupted".into(),
                json: Value::String(String::new()),
            })
        })
    }

    /// Call a TIM API by name. See the module docs for the contract.
    pub async fn call(&self, api: &str, params: &Value) -> Invocation {
        if !APIS.contains(&api) && !group::GROUP_APIS.contains(&api) {
            return Invocation::sync(TIM_ERR_PARAM, format!("unknown API {api}"));
        }
        let params = if params.is_null() { &Value::Object(Map::new()) } else { params };
        if !params.is_object() {
            return Invocation::sync(TIM_ERR_JSON, "params must be a JSON object");
        }
        let pre_init =
            matches!(api, "TIMInit" | "TIMGetSDKVersion" | "ConfabRegister" | "ConfabSignIn" | "TIMGetLoginStatus");
        if !pre_init && !self.is_inited() {
            return Invocation::sync(TIM_ERR_SDKUNINIT, "call TIMInit first");
        }
        match self.dispatch(api, params).await {
            Ok(inv) => inv,
            Err(Bad(code, desc)) => Invocation::sync(code, desc),
        }
    }
}
