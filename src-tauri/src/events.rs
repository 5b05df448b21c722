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
                for m in msgs.iter().filter(|m| crate::notify::should_notify(m, focused, open.as_ref())) {
                    crate::notify::show(&app, m);
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
