//! The TIM event callbacks as one typed stream. Every `TIMSet…Callback` of seed 004 has a
//! variant; subscribers get every event from the moment they subscribe (register before
//! `TIMLogin` so that offline messages delivered during login are not missed). [`Emitter`]
//! fans the events out to every subscriber.
//!
//! Layer: base (with `util`, `error`, `options`); imports nothing of this crate.
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use confab_protocol::group::GroupTipsElem;
use confab_protocol::{ConvInfo, Message, MessageReceipt, MsgLocator};
use serde_json::{json, Value};
use tokio::sync::mpsc;

// The variants carry TIM's structures whole (a message, a group tips element), so the enum is as
// large as they are. Boxing them would change the public type applications and tests match on.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum SdkEvent {
    /// `TIMRecvNewMsgCallback`: messages not yet in the local store.
    RecvNewMsg(Vec<Message>),
    /// `TIMMsgReadedReceiptCallback`.
    MsgReadedReceipt(Vec<MessageReceipt>),
    /// `TIMMsgRevokeCallback`.
    MsgRevoke(Vec<MsgLocator>),
    /// `TIMMsgElemUploadProgressCallback` (media issue).
    MsgElemUploadProgress { msg: Message, index: u32, cur_size: u64, total_size: u64 },
    /// `TIMMsgUpdateCallback`: messages the server changed.
    MsgUpdate(Vec<Message>),
    /// `TIMGroupTipsEventCallback` (groups issue).
    GroupTips(GroupTipsElem),
    /// `TIMConvEventCallback`: Add/Del/Update carry conversations; Start/Finish carry none.
    ConvEvent { event: i32, convs: Option<Vec<ConvInfo>> },
    /// `TIMNetworkStatusListenerCallback`.
    NetworkStatus { status: i32, code: i32, desc: String },
    /// `TIMKickedOfflineCallback`.
    KickedOffline,
    /// `TIMUserSigExpiredCallback`.
    UserSigExpired,
    /// `TIMLogCallback`.
    Log { level: u32, log: String },
}

impl SdkEvent {
    /// The callback's TIM type name.
    pub fn name(&self) -> &'static str {
        match self {
            SdkEvent::RecvNewMsg(_) => "TIMRecvNewMsgCallback",
            SdkEvent::MsgReadedReceipt(_) => "TIMMsgReadedReceiptCallback",
            SdkEvent::MsgRevoke(_) => "TIMMsgRevokeCallback",
            SdkEvent::MsgElemUploadProgress { .. } => "TIMMsgElemUploadProgressCallback",
            SdkEvent::MsgUpdate(_) => "TIMMsgUpdateCallback",
            SdkEvent::GroupTips(_) => "TIMGroupTipsEventCallback",
            SdkEvent::ConvEvent { .. } => "TIMConvEventCallback",
            SdkEvent::NetworkStatus { .. } => "TIMNetworkStatusListenerCallback",
            SdkEvent::KickedOffline => "TIMKickedOfflineCallback",
            SdkEvent::UserSigExpired => "TIMUserSigExpiredCallback",
            SdkEvent::Log { .. } => "TIMLogCallback",
        }
    }

    /// The event as one JSON object in the headless-client contract's form.
    pub fn to_json(&self) -> Value {
        let mut v = match self {
            SdkEvent::RecvNewMsg(m) | SdkEvent::MsgUpdate(m) => json!({ "json": m }),
            SdkEvent::MsgReadedReceipt(r) => json!({ "json": r }),
            SdkEvent::MsgRevoke(l) => json!({ "json": l }),
            SdkEvent::MsgElemUploadProgress { msg, index, cur_size, total_size } => {
                json!({ "json": msg, "index": index, "cur_size": cur_size, "total_size": total_size })
            }
            SdkEvent::GroupTips(t) => {
                let mut t = serde_json::to_value(t).unwrap_or(Value::Null);
                if let Some(o) = t.as_object_mut() {
                    o.insert("elem_type".into(), json!(confab_protocol::enums::elem_type::GROUP_TIPS));
                }
                json!({ "json": t })
            }
            SdkEvent::ConvEvent { event, convs } => json!({
                "conv_event": event,
                "json": convs.as_ref().map(|c| json!(c)).unwrap_or_else(|| json!("")),
            }),
            SdkEvent::NetworkStatus { status, code, desc } => {
                json!({ "status": status, "code": code, "desc": desc })
            }
            SdkEvent::KickedOffline | SdkEvent::UserSigExpired => json!({}),
            SdkEvent::Log { level, log } => json!({ "level": level, "log": log }),
        };
        v["event"] = json!(self.name());
        v
    }
}

/// Fan-out of SDK events to every subscriber.
#[derive(Clone, Default)]
pub struct Emitter {
    subs: Arc<Mutex<Vec<mpsc::UnboundedSender<SdkEvent>>>>,
    /// `set_config_callback_log_level`: 0 (Off) forwards nothing to `TIMLogCallback`.
    log_level: Arc<AtomicU32>,
}

impl Emitter {
    /// A log line for `TIMLogCallback`, forwarded when its level reaches the configured one.
    /// Lines never carry message content, user data or secrets.
    pub fn log(&self, level: u32, line: impl Into<String>) {
        let min = self.log_level.load(Ordering::Relaxed);
        if min != 0 && level >= min {
            self.emit(SdkEvent::Log { level, log: line.into() });
        }
    }

    pub fn emit(&self, e: SdkEvent) {
        let mut subs = self.subs.lock().unwrap_or_else(|p| p.into_inner());
        subs.retain(|s| s.send(e.clone()).is_ok());
    }

    pub(crate) fn subscribe(&self) -> mpsc::UnboundedReceiver<SdkEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.subs.lock().unwrap_or_else(|p| p.into_inner()).push(tx);
        rx
    }

    /// `set_config_callback_log_level`.
    pub(crate) fn set_log_level(&self, level: u32) {
        self.log_level.store(level, Ordering::Relaxed);
    }
}
