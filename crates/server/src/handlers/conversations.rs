//! Per-user conversation settings: pinned conversations (shared by all of a user's devices)
//! and C2C receive options.
use confab_protocol::codes;
use confab_protocol::enums::conv_type;
use confab_protocol::wire::{is_valid_user_id, ConvPin, Event};
use serde_json::{json, Value};

use crate::config::now_secs;
use crate::context::State;
use crate::error::{refused, Result};

/// The most conversations one user may have pinned.
const MAX_PINS: i64 = 100;

/// `TIMConvPinConversation`: remember the pin for all of my devices and tell the ones online.
pub async fn pin(state: &State, me: &str, ct: u32, conv_id: String, pinned: bool) -> Result<()> {
    let id_ok = match ct {
        conv_type::C2C => is_valid_user_id(&conv_id),
        conv_type::GROUP => !conv_id.is_empty() && conv_id.len() <= 48,
        _ => false,
    };
    if !id_ok {
        return Err(refused(codes::ERR_INVALID_PARAMETERS, "a C2C or group conversation id"));
    }
    let me = me.to_string();
    let now = now_secs();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                if pinned {
                    if !tx.is_pinned(&me, ct, &conv_id).await? {
                        if tx.pin_count(&me).await? >= MAX_PINS {
                            return Err(refused(
                                codes::ERR_INVALID_PARAMETERS,
                                format!("at most {MAX_PINS} pinned conversations"),
                            ));
                        }
                        tx.pin(&me, ct, &conv_id, now).await?;
                    }
                } else {
                    tx.unpin(&me, ct, &conv_id).await?;
                }
                let pinned_time = tx.pinned_time(&me, ct, &conv_id).await?;
                let pin = ConvPin { conv_type: ct, conv_id, pinned_time };
                tx.push_unstored(&me, Event::ConvPinned { pin, pinned });
                Ok(())
            })
        })
        .await
}

/// Every conversation `me` pinned, oldest pin first.
pub async fn pinned(state: &State, me: &str) -> Result<Vec<ConvPin>> {
    let rows = state.store.read().await?.pins(me).await?;
    Ok(rows
        .into_iter()
        .map(|r| ConvPin { conv_type: r.conv_type as u32, conv_id: r.conv_id, pinned_time: r.pinned_time as u64 })
        .collect())
}

/// TIMMsgSetC2CReceiveMessageOpt.
pub async fn set_c2c_recv_opt(state: &State, me: &str, ids: Vec<String>, opt: u32) -> Result<()> {
    if ids.is_empty() || ids.len() > 30 || opt > 2 || !ids.iter().all(|u| is_valid_user_id(u)) {
        return Err(refused(codes::ERR_INVALID_PARAMETERS, "1 to 30 valid user ids and an option of 0, 1 or 2"));
    }
    let me = me.to_string();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                for u in &ids {
                    tx.set_c2c_recv_opt(&me, u, opt).await?;
                }
                Ok(())
            })
        })
        .await
}

/// TIMMsgGetC2CReceiveMessageOpt.
pub async fn get_c2c_recv_opt(state: &State, me: &str, ids: &[String]) -> Result<Value> {
    if ids.is_empty() || ids.len() > 30 {
        return Err(refused(codes::ERR_INVALID_PARAMETERS, "1 to 30 user ids"));
    }
    let mut db = state.store.read().await?;
    let mut out = Vec::new();
    for u in ids {
        let opt = db.c2c_recv_opt(me, u).await?;
        out.push(json!({"msg_recv_msg_opt_result_identifier": u, "msg_recv_msg_opt_result_opt": opt.unwrap_or(0)}));
    }
    Ok(Value::Array(out))
}
