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
use std::future::Future;
use std::pin::Pin;

use confab_protocol::codes::{self, TIM_ERR_CONV, TIM_ERR_JSON, TIM_ERR_PARAM, TIM_ERR_SDKUNINIT, TIM_SUCC};
use confab_protocol::conv::{Draft, MsgGetMsgListParam};
use confab_protocol::wire::Request;
use confab_protocol::{Message, SdkConfig, SetConfig, UserProfileItem};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::error::Error;
use crate::{msg, Sdk};

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
    fn sync(result: i32, desc: impl Into<String>) -> Invocation {
        Invocation { result, desc: desc.into(), outputs: Map::new(), callback: None, progress: None }
    }
    fn output(key: &str, v: Value) -> Invocation {
        let mut outputs = Map::new();
        outputs.insert(key.into(), v);
        Invocation { result: TIM_SUCC, desc: String::new(), outputs, callback: None, progress: None }
    }
    /// The callback future as is (its work already started in the synchronous part).
    fn ready(f: impl Future<Output = Reply> + Send + 'static) -> Invocation {
        Invocation {
            result: TIM_SUCC,
            desc: String::new(),
            outputs: Map::new(),
            callback: Some(Box::pin(f)),
            progress: None,
        }
    }
}

/// Every API name `call` understands besides the group calls (`group::GROUP_APIS`): TIM names,
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
    "ConfabMediaCachePath",
    "ConfabServerInfo",
];

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

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn reply<T: serde::Serialize>(r: crate::Result<T>) -> Reply {
    match r {
        Ok(v) => Reply::ok(to_json(&v)),
        Err(e) => Reply::err(&e),
    }
}

fn reply_empty(r: crate::Result<()>) -> Reply {
    match r {
        Ok(()) => Reply::empty(),
        Err(e) => Reply::err(&e),
    }
}

impl Sdk {
    /// Start the asynchronous part of a call now (as the C API does) on a task the SDK owns;
    /// the returned callback future only waits for it. Uninit cancels what is still running
    /// (its callback then reports 7009).
    fn later(&self, f: impl Future<Output = Reply> + Send + 'static) -> Invocation {
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
        if !APIS.contains(&api) && !crate::group::GROUP_APIS.contains(&api) {
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

    async fn dispatch(&self, api: &str, p: &Value) -> Result<Invocation, Bad> {
        let sdk = self.clone();
        // The system conversation (type 3, id "") holds group reports: it can be read, marked
        // read and deleted locally, but not sent to.
        let system_ok = matches!(api, "TIMMsgGetMsgList" | "TIMMsgReportReaded" | "TIMConvDelete" | "TIMMsgDelete");
        let conv = |p: &Value| -> Result<(String, u32), Bad> {
            let id = str_param(p, "conv_id")?;
            let ct = u64_param(p, "conv_type")? as u32;
            if system_ok && ct == confab_protocol::enums::conv_type::SYSTEM {
                return Ok((id, ct));
            }
            if !Sdk::valid_conv_type(ct) {
                return Err(Bad(TIM_ERR_CONV, "conv_type must be 1 (C2C) or 2 (group)".into()));
            }
            Ok((id, ct))
        };
        let need_id = |id: &str| -> crate::Result<()> {
            if id.is_empty() {
                Err(Error::InvalidParam("conv_id is empty".into()))
            } else {
                Ok(())
            }
        };
        Ok(match api {
            "TIMInit" => {
                let app = u64_param(p, "sdk_app_id")?;
                let cfg: SdkConfig = json_param(p, "json_sdk_config")?.unwrap_or_default();
                self.init(app, &cfg.sdk_config_config_file_path, &cfg.sdk_config_server_url);
                Invocation::sync(TIM_SUCC, "")
            }
            "TIMUninit" => {
                self.uninit().await;
                Invocation::sync(TIM_SUCC, "")
            }
            "TIMGetSDKVersion" => Invocation::output("json", json!(crate::SDK_VERSION)),
            "TIMGetServerTime" => Invocation::output("json", json!(self.server_time().await)),
            "TIMGetLoginStatus" => Invocation::output("json", json!(self.login_status().await)),
            // Confab: `{"server_time", "revoke_window"}` of the logged-in server (seconds; a
            // revoke_window of 0: the server did not say). Needs a login (6014 otherwise).
            "ConfabServerInfo" => match self.server_info().await {
                Ok(v) => Invocation::output("json", v),
                Err(e) => Invocation::sync(e.code(), &e.to_string()),
            },
            "TIMGetLoginUserID" => Invocation::output("json", json!(self.login_user().await.unwrap_or_default())),
            "TIMSetConfig" => {
                let c: SetConfig = json_param(p, "json_config")?.unwrap_or_default();
                let eff = self.set_config(c);
                self.later(async move { Reply::ok(to_json(&eff)) })
            }
            "TIMLogin" => {
                let (u, s) = (str_param(p, "user_id")?, str_param(p, "user_sig")?);
                if self.claim_login() {
                    self.later(async move { reply_empty(sdk.login_claimed(&u, &s).await) })
                } else {
                    self.later(async move { Reply::err(&Error::LoginInProgress) })
                }
            }
            "TIMLogout" => self.later(async move { reply_empty(sdk.logout().await) }),
            "ConfabRegister" | "ConfabSignIn" => {
                let (u, pw, nick) = (str_param(p, "user_id")?, str_param(p, "password")?, str_param(p, "nick_name")?);
                let server = str_param(p, "server_url")?;
                if !server.is_empty() {
                    self.inner.opts.lock().unwrap_or_else(|e| e.into_inner()).server_url = server;
                }
                let register = api == "ConfabRegister";
                self.later(async move { reply(sdk.account(register, &u, &pw, &nick).await) })
            }
            "TIMConvCreate" => {
                let (id, ct) = conv(p)?;
                self.later(async move {
                    reply(
                        async {
                            need_id(&id)?;
                            sdk.conv_create(ct, &id).await
                        }
                        .await,
                    )
                })
            }
            "TIMConvDelete" => {
                let (id, ct) = conv(p)?;
                self.later(async move { reply_empty(sdk.conv_delete(ct, &id).await) })
            }
            "TIMConvGetConvList" => self.later(async move { reply(sdk.conv_list().await) }),
            "TIMConvPinConversation" => {
                let (id, ct) = conv(p)?;
                let pinned = match p.get("is_pinned") {
                    Some(Value::Bool(b)) => *b,
                    Some(Value::Number(n)) => n.as_u64() == Some(1),
                    None | Some(Value::Null) => false,
                    Some(_) => return Err(Bad(TIM_ERR_PARAM, "is_pinned must be a boolean".into())),
                };
                self.later(async move {
                    reply_empty(
                        async {
                            need_id(&id)?;
                            sdk.conv_pin(ct, &id, pinned).await
                        }
                        .await,
                    )
                })
            }
            "TIMConvGetConvInfo" => {
                let items: Vec<Value> = json_param(p, "json_get_conv_list_param")?.unwrap_or_default();
                self.later(async move {
                    reply(
                        async {
                            let s = sdk.shared().await?;
                            let mut out = Vec::new();
                            for it in items {
                                let id = it
                                    .get("get_conversation_list_param_conv_id")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default();
                                let ct = it
                                    .get("get_conversation_list_param_conv_type")
                                    .and_then(Value::as_u64)
                                    .unwrap_or(0) as u32;
                                if let Some(c) = s.store.conv_info(ct, id).await? {
                                    out.push(c);
                                }
                            }
                            Ok(out)
                        }
                        .await,
                    )
                })
            }
            "TIMConvSetDraft" | "TIMConvCancelDraft" => {
                // Synchronous in the C API: the result says whether it happened.
                let (id, ct) = conv(p)?;
                let draft: Option<Draft> = if api == "TIMConvSetDraft" {
                    Some(
                        json_param(p, "json_draft_param")?
                            .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_draft_param is required".into()))?,
                    )
                } else {
                    None
                };
                if id.is_empty() {
                    return Err(Bad(TIM_ERR_PARAM, "conv_id is empty".into()));
                }
                match self.set_draft(ct, &id, draft).await {
                    Ok(()) => Invocation::sync(TIM_SUCC, ""),
                    Err(Error::NotLoggedIn) => Invocation::sync(codes::TIM_ERR_NOTLOGIN, "not logged in"),
                    Err(e) => Invocation::sync(TIM_ERR_PARAM, e.to_string()),
                }
            }
            "TIMConvGetTotalUnreadMessageCount" => self.later(async move {
                reply(
                    async {
                        let n = sdk.shared().await?.store.total_unread().await?;
                        Ok(json!({ "conv_get_total_unread_message_count_result_unread_count": n }))
                    }
                    .await,
                )
            }),
            "TIMMsgSendMessage" | "TIMMsgSendNewMsg" => {
                let (id, ct) = conv(p)?;
                let m: Message = json_param(p, "json_msg_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_msg_param is required".into()))?;
                let shared = self.shared().await;
                // Resending a message of ours keeps its id: the server dedupes by it, so a
                // message whose first attempt did reach the server is not stored twice.
                let msg_id = match &shared {
                    Ok(s) if !m.message_msg_id.is_empty() => match s.store.get_msg(&m.message_msg_id).await {
                        Ok(Some(old)) if old.message_sender == s.me && old.message_conv_id == id => {
                            m.message_msg_id.clone()
                        }
                        _ => msg::new_msg_id(&s.me, crate::now_secs()),
                    },
                    Ok(s) => msg::new_msg_id(&s.me, crate::now_secs()),
                    Err(_) => String::new(),
                };
                // Validate and enqueue now, in call order: the send queue keeps that order on
                // the wire. The callback only waits for the outcome.
                let queued: crate::Result<tokio::sync::oneshot::Receiver<crate::Result<Message>>> = (|| {
                    let s = shared?;
                    need_id(&id)?;
                    msg::validate_outgoing(&m)?;
                    let m = msg::prepare(&s, ct, &id, m, msg_id.clone());
                    crate::msg_ext::validate_merge(&m)?;
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    s.enqueue_send(m, tx)?;
                    Ok(rx)
                })(
                );
                let mut inv = Invocation::ready(async move {
                    match queued {
                        Ok(rx) => reply(rx.await.unwrap_or(Err(Error::NotLoggedIn))),
                        Err(e) => Reply::err(&e),
                    }
                });
                if api == "TIMMsgSendMessage" {
                    inv.outputs.insert("message_id".into(), json!(msg_id));
                }
                inv
            }
            "TIMMsgGetMsgList" => {
                let (id, ct) = conv(p)?;
                let param: MsgGetMsgListParam = json_param(p, "json_get_msg_param")?.unwrap_or_default();
                self.later(async move {
                    reply(
                        async {
                            if ct != confab_protocol::enums::conv_type::SYSTEM {
                                need_id(&id)?;
                            }
                            let s = sdk.shared().await?;
                            let peer_read = s
                                .store
                                .conv_info(ct, &id)
                                .await?
                                .map(|c| c.conv_c2c_read_timestamp as i64)
                                .unwrap_or(0);
                            let list = msg::get_list(&s, ct, &id, param).await?;
                            Ok(list.into_iter().map(|m| crate::store::with_peer_read(m, peer_read)).collect::<Vec<_>>())
                        }
                        .await,
                    )
                })
            }
            "TIMMsgReportReaded" => {
                let (id, ct) = conv(p)?;
                let m: Option<Message> = json_param(p, "json_msg_param")?;
                self.later(async move {
                    reply_empty(
                        async {
                            if ct != confab_protocol::enums::conv_type::SYSTEM {
                                need_id(&id)?;
                            }
                            msg::report_read(&sdk.shared().await?, ct, &id, m).await
                        }
                        .await,
                    )
                })
            }
            "TIMMsgMarkAllMessageAsRead" => self.later(async move {
                reply_empty(
                    async {
                        let s = sdk.shared().await?;
                        for c in crate::session::conv_list(&s.store).await? {
                            if c.conv_unread_num > 0 {
                                msg::report_read(&s, c.conv_type, &c.conv_id, None).await?;
                            }
                        }
                        Ok(())
                    }
                    .await,
                )
            }),
            "TIMMsgRevoke" => {
                let (id, ct) = conv(p)?;
                let m: Message = json_param(p, "json_msg_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_msg_param is required".into()))?;
                self.later(
                    async move { reply_empty(async { msg::revoke(&sdk.shared().await?, ct, &id, m).await }.await) },
                )
            }
            "TIMMsgFindMessages" => {
                let ids: Vec<String> = json_param(p, "json_message_id_array")?.unwrap_or_default();
                self.later(async move { reply(async { msg::find(&sdk.shared().await?, &ids).await }.await) })
            }
            "TIMMsgSetC2CReceiveMessageOpt" => {
                let ids: Vec<String> = json_param(p, "json_identifier_array")?.unwrap_or_default();
                let opt = u64_param(p, "opt")?.min(u64::from(u32::MAX)) as u32;
                self.later(async move {
                    reply_empty(async { crate::msg_ext::set_c2c_recv_opt(&sdk.shared().await?, ids, opt).await }.await)
                })
            }
            "TIMMsgGetC2CReceiveMessageOpt" => {
                let ids: Vec<String> = json_param(p, "json_identifier_array")?.unwrap_or_default();
                self.later(async move {
                    reply(async { crate::msg_ext::get_c2c_recv_opt(&sdk.shared().await?, ids).await }.await)
                })
            }
            "TIMMsgCancelSend" => {
                let (id, ct) = conv(p)?;
                let msg_id = str_param(p, "message_id")?;
                let _ = (id, ct);
                self.later(async move {
                    reply_empty(async { crate::msg_ext::cancel_send(&*sdk.shared().await?, &msg_id) }.await)
                })
            }
            "TIMMsgFindByMsgLocatorList" => {
                let (id, ct) = conv(p)?;
                let key = if p.get("json_msg_Locator_array").is_some() {
                    "json_msg_Locator_array"
                } else {
                    "json_msg_locator_array"
                };
                let locs: Vec<confab_protocol::MsgLocator> = json_param(p, key)?.unwrap_or_default();
                self.later(async move {
                    reply(async { crate::msg_ext::find_by_locators(&sdk.shared().await?, ct, &id, locs).await }.await)
                })
            }
            "TIMMsgImportMsgList" | "TIMMsgSaveMsg" => {
                let (id, ct) = conv(p)?;
                let msgs: Vec<Message> = if api == "TIMMsgImportMsgList" {
                    json_param(p, "json_msg_array")?.unwrap_or_default()
                } else {
                    json_param::<Message>(p, "json_msg_param")?.into_iter().collect()
                };
                self.later(async move {
                    reply_empty(
                        async {
                            need_id(&id)?;
                            if msgs.is_empty() {
                                return Err(Error::InvalidParam("no message to import".into()));
                            }
                            crate::msg_ext::import(&sdk.shared().await?, ct, &id, msgs).await
                        }
                        .await,
                    )
                })
            }
            "TIMMsgDelete" => {
                let (id, ct) = conv(p)?;
                let param: confab_protocol::MsgDeleteParam = json_param(p, "json_msgdel_param")?.unwrap_or_default();
                self.later(async move {
                    reply_empty(async { crate::msg_ext::delete(&sdk.shared().await?, ct, &id, param).await }.await)
                })
            }
            "TIMMsgListDelete" => {
                let (id, ct) = conv(p)?;
                let msgs: Vec<Message> = json_param(p, "json_msg_array")?.unwrap_or_default();
                self.later(async move {
                    reply_empty(async { crate::msg_ext::list_delete(&sdk.shared().await?, ct, &id, msgs).await }.await)
                })
            }
            "TIMMsgClearHistoryMessage" => {
                let (id, ct) = conv(p)?;
                self.later(async move {
                    reply_empty(async { crate::msg_ext::clear_history(&sdk.shared().await?, ct, &id).await }.await)
                })
            }
            "TIMMsgSetLocalCustomData" => {
                let m: Message = json_param(p, "json_msg_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_msg_param is required".into()))?;
                self.later(async move {
                    reply_empty(async { crate::msg_ext::set_local_custom_data(&sdk.shared().await?, m).await }.await)
                })
            }
            "TIMMsgDownloadElemToPath" => {
                let param: crate::download::DownloadElemParam = json_param(p, "json_download_elem_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_download_elem_param is required".into()))?;
                let path = str_param(p, "path")?;
                let (ptx, prx) = tokio::sync::mpsc::unbounded_channel();
                let mut inv = self.later(async move {
                    let r = async {
                        let shared = sdk.shared().await?;
                        let cid = crate::download::content_id_of(&param)?;
                        let target = crate::download::resolve(&sdk.download_dir(), &path).await?;
                        crate::download::download(&shared, &cid, &target, |cur, total| {
                            let _ = ptx.send(json!({"msg_download_elem_result_current_size": cur,
                                                    "msg_download_elem_result_total_size": total}));
                        })
                        .await
                    }
                    .await;
                    reply(r.map(|(cur, total)| {
                        json!({"msg_download_elem_result_current_size": cur, "msg_download_elem_result_total_size": total})
                    }))
                });
                inv.progress = Some(prx);
                inv
            }
            // Confab: the local path of an element's blob in the media cache (fetched when
            // missing), for showing images without writing them to the user's folders.
            // Params: `json_download_elem_param` as for TIMMsgDownloadElemToPath; callback JSON:
            // `{"media_cache_path", "media_cache_size"}`; progress like TIMMsgDownloadElemToPath.
            "ConfabMediaCachePath" => {
                let param: crate::download::DownloadElemParam = json_param(p, "json_download_elem_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_download_elem_param is required".into()))?;
                let (ptx, prx) = tokio::sync::mpsc::unbounded_channel();
                let mut inv = self.later(async move {
                    let r = async {
                        let shared = sdk.shared().await?;
                        let cid = crate::download::content_id_of(&param)?;
                        crate::media_cache::MediaCache::of(&shared)
                            .path_for(&shared, &cid, |cur, total| {
                                let _ = ptx.send(json!({"msg_download_elem_result_current_size": cur,
                                                        "msg_download_elem_result_total_size": total}));
                            })
                            .await
                    }
                    .await;
                    reply(r.map(
                        |(path, size)| json!({"media_cache_path": path.to_string_lossy(), "media_cache_size": size}),
                    ))
                });
                inv.progress = Some(prx);
                inv
            }
            "TIMMsgDownloadMergerMessage" => {
                let m: Message = json_param(p, "json_single_msg")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_single_msg is required".into()))?;
                self.later(async move {
                    reply(
                        async {
                            sdk.shared().await?;
                            crate::msg_ext::download_merger(&m)
                        }
                        .await,
                    )
                })
            }
            "TIMMsgSearchLocalMessages" => {
                let param: confab_protocol::msg_ops::MessageSearchParam =
                    json_param(p, "json_search_message_param")?.unwrap_or_default();
                self.later(
                    async move { reply(async { crate::msg_ext::search(&sdk.shared().await?, param).await }.await) },
                )
            }
            "TIMMsgBatchSend" => {
                let param: confab_protocol::msg_ops::MsgBatchSendParam = json_param(p, "json_batch_send_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_batch_send_param is required".into()))?;
                self.later(async move {
                    let s = match sdk.shared().await {
                        Ok(s) => s,
                        Err(e) => return Reply::err(&e),
                    };
                    let (r, results) = crate::msg_ext::batch_send(&s, param).await;
                    match r {
                        Ok(()) => Reply::ok(to_json(&results)),
                        Err(e) => Reply {
                            code: e.code(),
                            desc: e.to_string(),
                            json: if results.is_empty() { Value::String(String::new()) } else { to_json(&results) },
                        },
                    }
                })
            }
            "TIMProfileGetUserProfileList" => {
                let v: Value = json_param(p, "json_get_user_profile_list_param")?.unwrap_or(Value::Null);
                let ids: Vec<String> = v
                    .get("friendship_getprofilelist_param_identifier_array")
                    .and_then(|a| serde_json::from_value(a.clone()).ok())
                    .unwrap_or_default();
                self.later(async move {
                    reply(
                        async { sdk.shared().await?.link.request(Request::GetProfiles { user_ids: ids }).await }.await,
                    )
                })
            }
            "TIMProfileModifySelfUserProfile" => {
                let item: UserProfileItem = json_param(p, "json_modify_self_user_profile_param")?.unwrap_or_default();
                self.later(async move {
                    reply_empty(
                        async {
                            sdk.shared().await?.link.request(Request::ModifySelfProfile { item }).await.map(|_| ())
                        }
                        .await,
                    )
                })
            }
            api if crate::group::GROUP_APIS.contains(&api) => {
                let c = crate::group::parse(api, p)?;
                self.later(crate::group::run(sdk, c))
            }
            _ => Invocation::sync(TIM_ERR_PARAM, format!("unknown API {api}")),
        })
    }
}
