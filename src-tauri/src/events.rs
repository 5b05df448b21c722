//! Core events → the webview. One subscription for the app's lifetime; every event is emitted
//! as `confab://event` with the headless-client JSON form (`{"event": "TIM…Callback", ...}`),
//! and new messages may raise a desktop notification (see [`crate::notify`]).
use confab_core::SdkEvent;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::dto::EVENT_NAME;
use crate::AppState;

pub fn forward(app: AppHandle, mut rx: UnboundedReceiver<SdkEvent>) {
    tauri::async_runtime::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if let SdkEvent::RecvNewMsg(msgs) = &ev {
                let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
                let open = app.state::<AppState>().open_conv.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let sdk = app.state::<AppState>().sdk.clone();
                for m in msgs {
                    // The conversation's receive option, as the SDK knows it now.
                    let recv_opt = match sdk.shared().await {
                        Ok(s) => s
                            .store
                            .conv_info(m.message_conv_type, &m.message_conv_id)
                            .await
                            .ok()
                            .flatten()
                            .map_or(0, |c| c.conv_recv_opt),
                        Err(_) => 0,
                    };
                    if crate::notify::should_notify(m, recv_opt, focused, open.as_ref()) {
                        crate::notify::show(&app, m);
                    }
                }
            }
            if matches!(ev, SdkEvent::Log { .. }) {
                continue;
            }
            if let Err(e) = app.emit(EVENT_NAME, ev.to_json()) {
                tracing::warn!("could not forward an event to the webview: {e}");
            }
        }
    });
}
