//! The TIM calls by name: each reads its parameters (the synchronous part) and runs on the
//! typed `Sdk` methods and the features (the callback's part).
use confab_protocol::codes::{self, TIM_ERR_CONV, TIM_ERR_PARAM, TIM_SUCC};
use confab_protocol::conv::{Draft, MsgGetMsgListParam};
use confab_protocol::{Message, SdkConfig, SetConfig, UserProfileItem};
use serde_json::{json, Value};

use super::params::{json_param, str_param, u64_param, Bad};
use super::{group, reply, reply_empty, to_json, Invocation, Reply};
use crate::error::{Error, Result};
use crate::features::{conversation, download, message, message_ops, profile};
use crate::sdk::{Sdk, SDK_VERSION};
use crate::session::send_queue::{prepare, validate_outgoing};
use crate::store;
use crate::util::{new_msg_id, now_secs};

impl Sdk {
    pub(crate) async fn dispatch(&self, api: &str, p: &Value) -> Result<Invocation, Bad> {
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
        let need_id = |id: &str| -> Result<()> {
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
            "TIMGetSDKVersion" => Invocation::output("json", json!(SDK_VERSION)),
            "TIMGetServerTime" => Invocation::output("json", json!(self.server_time().await)),
            "TIMGetLoginStatus" => Invocation::output("json", json!(self.login_status().await)),
            // Confab: `{"server_time", "revoke_window"}` of the logged-in server (seconds; a
            // revoke_window of 0: the server did not say). Needs a login (6014 otherwise).
            "ConfabServerInfo" => match self.server_info().await {
                Ok(v) => Invocation::output("json", v),
                Err(e) => Invocation::sync(e.code(), e.to_string()),
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
                    self.set_server_url(server);
                }
                let register = api == "ConfabRegister";
                self.later(async move { reply(sdk.account(register, &u, &pw, &nick).await) })
            }
            "ConfabChangePassword" => {
                let (old, new) = (str_param(p, "old_password")?, str_param(p, "new_password")?);
                self.later(async move { reply(sdk.change_password(&old, &new).await) })
            }
            "ConfabSignOutEverywhere" => self.later(async move { reply_empty(sdk.sign_out_everywhere().await) }),
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
                        _ => new_msg_id(&s.me, now_secs()),
                    },
                    Ok(s) => new_msg_id(&s.me, now_secs()),
                    Err(_) => String::new(),
                };
                // Validate and enqueue now, in call order: the send queue keeps that order on
                // the wire. The callback only waits for the outcome.
                let queued: Result<tokio::sync::oneshot::Receiver<Result<Message>>> = (|| {
                    let s = shared?;
                    need_id(&id)?;
                    validate_outgoing(&m)?;
                    let m = prepare(&s, ct, &id, m, msg_id.clone());
                    message_ops::validate_merge(&m)?;
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    s.enqueue_send(m, tx)?;
                    Ok(rx)
                })();
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
                            let list = message::get_list(&s, ct, &id, param).await?;
                            Ok(list.into_iter().map(|m| store::with_peer_read(m, peer_read)).collect::<Vec<_>>())
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
                            message::report_read(&sdk.shared().await?, ct, &id, m).await
                        }
                        .await,
                    )
                })
            }
            "TIMMsgMarkAllMessageAsRead" => self.later(async move {
                reply_empty(
                    async {
                        let s = sdk.shared().await?;
                        for c in conversation::list(&s.store).await? {
                            if c.conv_unread_num > 0 {
                                message::report_read(&s, c.conv_type, &c.conv_id, None).await?;
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
                self.later(async move {
                    reply_empty(async { message::revoke(&sdk.shared().await?, ct, &id, m).await }.await)
                })
            }
            "TIMMsgFindMessages" => {
                let ids: Vec<String> = json_param(p, "json_message_id_array")?.unwrap_or_default();
                self.later(async move { reply(async { message::find(&sdk.shared().await?, &ids).await }.await) })
            }
            "TIMMsgSetC2CReceiveMessageOpt" => {
                let ids: Vec<String> = json_param(p, "json_identifier_array")?.unwrap_or_default();
                let opt = u64_param(p, "opt")?.min(u64::from(u32::MAX)) as u32;
                self.later(async move {
                    reply_empty(async { message_ops::set_c2c_recv_opt(&sdk.shared().await?, ids, opt).await }.await)
                })
            }
            "TIMMsgGetC2CReceiveMessageOpt" => {
                let ids: Vec<String> = json_param(p, "json_identifier_array")?.unwrap_or_default();
                self.later(async move {
                    reply(async { message_ops::get_c2c_recv_opt(&sdk.shared().await?, ids).await }.await)
                })
            }
            "TIMMsgCancelSend" => {
                let (id, ct) = conv(p)?;
                let msg_id = str_param(p, "message_id")?;
                let _ = (id, ct);
                self.later(async move {
                    reply_empty(async { message_ops::cancel_send(&*sdk.shared().await?, &msg_id) }.await)
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
                    reply(async { message_ops::find_by_locators(&sdk.shared().await?, ct, &id, locs).await }.await)
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
                            message_ops::import(&sdk.shared().await?, ct, &id, msgs).await
                        }
                        .await,
                    )
                })
            }
            "TIMMsgDelete" => {
                let (id, ct) = conv(p)?;
                let param: confab_protocol::MsgDeleteParam = json_param(p, "json_msgdel_param")?.unwrap_or_default();
                self.later(async move {
                    reply_empty(async { message_ops::delete(&sdk.shared().await?, ct, &id, param).await }.await)
                })
            }
            "TIMMsgListDelete" => {
                let (id, ct) = conv(p)?;
                let msgs: Vec<Message> = json_param(p, "json_msg_array")?.unwrap_or_default();
                self.later(async move {
                    reply_empty(async { message_ops::list_delete(&sdk.shared().await?, ct, &id, msgs).await }.await)
                })
            }
            "TIMMsgClearHistoryMessage" => {
                let (id, ct) = conv(p)?;
                self.later(async move {
                    reply_empty(async { message_ops::clear_history(&sdk.shared().await?, ct, &id).await }.await)
                })
            }
            "TIMMsgSetLocalCustomData" => {
                let m: Message = json_param(p, "json_msg_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_msg_param is required".into()))?;
                self.later(async move {
                    reply_empty(async { message_ops::set_local_custom_data(&sdk.shared().await?, m).await }.await)
                })
            }
            "TIMMsgDownloadElemToPath" => {
                let param: download::DownloadElemParam = json_param(p, "json_download_elem_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_download_elem_param is required".into()))?;
                let path = str_param(p, "path")?;
                let (ptx, prx) = tokio::sync::mpsc::unbounded_channel();
                let mut inv = self.later(async move {
                    let r = async {
                        let shared = sdk.shared().await?;
                        let cid = download::content_id_of(&param)?;
                        let target = download::resolve(&sdk.download_dir(), &path).await?;
                        download::download(&shared, &cid, &target, |cur, total| {
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
                let param: download::DownloadElemParam = json_param(p, "json_download_elem_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_download_elem_param is required".into()))?;
                let (ptx, prx) = tokio::sync::mpsc::unbounded_channel();
                let mut inv = self.later(async move {
                    let r = async {
                        let shared = sdk.shared().await?;
                        let cid = download::content_id_of(&param)?;
                        download::media_cache_path(&shared, &cid, |cur, total| {
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
                            message_ops::download_merger(&m)
                        }
                        .await,
                    )
                })
            }
            "TIMMsgSearchLocalMessages" => {
                let param: confab_protocol::msg_ops::MessageSearchParam =
                    json_param(p, "json_search_message_param")?.unwrap_or_default();
                self.later(async move { reply(async { message_ops::search(&sdk.shared().await?, param).await }.await) })
            }
            "TIMMsgBatchSend" => {
                let param: confab_protocol::msg_ops::MsgBatchSendParam = json_param(p, "json_batch_send_param")?
                    .ok_or_else(|| Bad(TIM_ERR_PARAM, "json_batch_send_param is required".into()))?;
                self.later(async move {
                    let s = match sdk.shared().await {
                        Ok(s) => s,
                        Err(e) => return Reply::err(&e),
                    };
                    let (r, results) = message_ops::batch_send(&s, param).await;
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
                self.later(async move { reply(async { profile::get_profiles(&sdk.shared().await?, ids).await }.await) })
            }
            "TIMProfileModifySelfUserProfile" => {
                let item: UserProfileItem = json_param(p, "json_modify_self_user_profile_param")?.unwrap_or_default();
                self.later(async move {
                    reply_empty(async { profile::modify_self(&sdk.shared().await?, item).await }.await)
                })
            }
            api if group::GROUP_APIS.contains(&api) => {
                let c = group::parse(api, p)?;
                self.later(group::run(sdk, c))
            }
            _ => Invocation::sync(TIM_ERR_PARAM, format!("unknown API {api}")),
        })
    }
}
