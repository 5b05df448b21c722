//! confab-desktop: the Tauri shell. It owns the window, the OS integrations (notifications,
//! single instance, window state) and one [`confab_core::Sdk`]; every command is a thin adapter
//! over the SDK's JSON surface (`Sdk::call`), grouped one file per domain in [`commands`].
//! Core events reach the webview through [`events`] as `confab://event`.
//!
//! No business rules live here: the UI asks the SDK, the SDK decides.
pub mod bridge;
pub mod commands;
pub mod dto;
pub mod events;
pub mod notify;
pub mod tim_ts;

use std::sync::Mutex;

use confab_core::{Sdk, SdkOptions};
use tauri::Manager;

/// Shell state shared by commands and the event forwarder.
pub struct AppState {
    pub sdk: Sdk,
    /// The SDK's data dir (the app's data dir), given to `TIMInit`.
    pub data_dir: String,
    /// The conversation the user has open, for the notification rule.
    pub open_conv: Mutex<Option<dto::ConvKey>>,
    /// Files the person gave the app this run (picked, dropped on the window, pasted or
    /// recorded): the only local files a message may be sent from.
    pub granted: commands::media::Grants,
}

/// Whether the window may show `url`: the app's own pages (the custom protocol, or Vite's dev
/// server while developing), nothing else.
pub fn app_url(url: &tauri::Url) -> bool {
    match url.scheme() {
        // Linux and macOS serve the app as tauri://localhost, Windows as http(s)://tauri.localhost.
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => {
            url.host_str() == Some("tauri.localhost")
                || (tauri::is_dev() && url.host_str() == Some("localhost") && url.port() == Some(5173))
        }
        _ => false,
    }
}

/// WebKitGTK settings that must be in place before the toolkit starts. A chat window does not
/// need GPU compositing: without it, WebKit paints in software and neither process keeps GL
/// layers, which measured ~110 MB less in the web process after scrolling 10,000 messages
/// (scripts/bench-desktop.sh), and GTK need not load GL at start. `CONFAB_GPU=1` keeps WebKit's default; a value the user set for
/// `WEBKIT_DISABLE_COMPOSITING_MODE` is left alone.
fn webkit_environment() {
    #[cfg(target_os = "linux")]
    {
        let gpu = std::env::var_os("CONFAB_GPU").is_some_and(|v| v == "1");
        if !gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
            // Called first thing in `run`, before any thread is started.
            std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
            // Nor does GTK need GL for a window WebKit paints in software: GDK otherwise loads
            // the GL driver while opening the display to rank visuals (a few hundred ms with a
            // software driver, and its libraries' pages).
            if std::env::var_os("GDK_GL").is_none() {
                std::env::set_var("GDK_GL", "disable");
            }
        }
        // JavaScript runs in JavaScriptCore's interpreter, without its JIT compilers. The page is
        // a small app drawing a virtualised list, and compiled code, its profiles and the
        // compilers' memory are most of what the web process grows by: 35 MB less after
        // scrolling 10,000 messages (scripts/bench-desktop.sh: 250 MB against 285 MB in all),
        // with the same launch time. It also keeps writable-executable memory out of the
        // process that renders what strangers send. `CONFAB_JIT=1` turns the JIT back on.
        let jit = std::env::var_os("CONFAB_JIT").is_some_and(|v| v == "1");
        if !jit && std::env::var_os("JSC_useJIT").is_none() {
            std::env::set_var("JSC_useJIT", "false");
        }
    }
}

/// Which capture requests the page gets: a microphone alone (voice notes); never a camera or a
/// screen, alone or with a microphone.
pub fn media_permission(audio: bool, video: bool) -> bool {
    audio && !video
}

/// The web context keeps few decoded resources in memory: the app's pages are local and its
/// media come from the SDK's cache on disk, so a browser-sized memory cache only costs RAM.
/// Voice notes record from the microphone (getUserMedia + Web Audio), which WebKitGTK
/// offers only with media streams enabled and a permission handler: the app's own page may
/// use a microphone; cameras, screens and every other permission are refused.
#[cfg(target_os = "linux")]
fn webkit_tuning(window: &tauri::WebviewWindow) {
    let _ = window.with_webview(|wv| {
        use webkit2gtk::{
            glib::Cast, CacheModel, PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
            UserMediaPermissionRequestExt, WebContextExt, WebViewExt,
        };
        let view = wv.inner();
        if let Some(ctx) = view.context() {
            ctx.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_media_stream(true);
        }
        view.connect_permission_request(|_, request| {
            let grant = request
                .downcast_ref::<UserMediaPermissionRequest>()
                .is_some_and(|m| media_permission(m.is_for_audio_device(), m.is_for_video_device()));
            if grant {
                request.allow();
            } else {
                request.deny();
            }
            true
        });
    });
}

pub fn run() {
    commands::trace_mark("main");
    webkit_environment();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONFAB_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();

    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.show();
                let _ = w.set_focus();
            }
        }))
        // The window starts hidden (tauri.conf.json) and is shown once its page starts loading
        // (below), so the saved state must not show it earlier.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all() - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        // The window only ever shows the app (S-22): a link dragged, middle-clicked or set by a
        // script does not turn it into a remote page. Links open in the browser instead.
        .plugin(tauri::plugin::Builder::<_, ()>::new("navigation-guard").on_navigation(|_, url| app_url(url)).build())
        // Shown once the web process has the page: a window mapped before it is up makes WebKit
        // wait (up to 500 ms, without GPU compositing) for a first frame that cannot come yet.
        .on_page_load(|webview, payload| match payload.event() {
            tauri::webview::PageLoadEvent::Started => commands::trace_mark("page-load"),
            tauri::webview::PageLoadEvent::Finished => {
                commands::trace_mark("page-loaded");
                let _ = webview.window().show();
            }
        })
        // Files dropped on the window become files the person chose to send.
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                if let Some(state) = window.try_state::<AppState>() {
                    for p in paths {
                        state.granted.grant(p);
                    }
                }
            }
        })
        .setup(|app| {
            commands::trace_mark("setup");
            let data_dir = match std::env::var_os("CONFAB_DESKTOP_DATA_DIR") {
                Some(d) => std::path::PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            std::fs::create_dir_all(&data_dir)?;
            if let Some(w) = app.get_webview_window("main") {
                #[cfg(target_os = "linux")]
                webkit_tuning(&w);
                // Shown when its page has loaded (below); should that never be reported, the
                // window still appears.
                tauri::async_runtime::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    let _ = w.show();
                });
            }
            // CONFAB_CA_FILE: a PEM CA trusted for wss:// besides the system's roots.
            let extra_ca_pem = std::env::var_os("CONFAB_CA_FILE").filter(|v| !v.is_empty()).map(Into::into);
            let sdk = Sdk::new(SdkOptions { data_dir: data_dir.clone(), extra_ca_pem, ..SdkOptions::default() });
            commands::media::allow_media_root(app.handle(), &sdk.download_dir())?;
            events::forward(app.handle().clone(), sdk.subscribe());
            notify::install(app.handle());
            commands::trace_mark("setup-done");
            app.manage(AppState {
                sdk,
                data_dir: data_dir.to_string_lossy().into_owned(),
                open_conv: Mutex::new(None),
                granted: Default::default(),
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::tim_call,
            commands::startup_mark,
            commands::auth::sign_in,
            commands::auth::resume_session,
            commands::auth::sign_in_with_usersig,
            commands::auth::sign_out,
            commands::auth::change_password,
            commands::auth::sign_out_everywhere,
            commands::conversation::conv_list,
            commands::conversation::conv_create,
            commands::conversation::conv_set_draft,
            commands::conversation::conv_cancel_draft,
            commands::conversation::conv_set_open,
            commands::conversation::conv_delete,
            commands::conversation::conv_pin,
            commands::conversation::conv_set_recv_opt,
            commands::conversation::msg_search,
            commands::message::msg_send_text,
            commands::message::msg_list,
            commands::message::msg_report_read,
            commands::message::msg_revoke,
            commands::media::media_send,
            commands::media::media_fetch,
            commands::media::media_open,
            commands::media::media_reveal,
            commands::media::media_save_as,
            commands::media::media_pick,
            commands::media::media_write_temp,
            commands::group::group_create,
            commands::group::group_joined_list,
            commands::group::group_info,
            commands::group::group_members,
            commands::group::group_modify_info,
            commands::group::group_transfer_owner,
            commands::group::group_modify_member,
            commands::group::group_invite,
            commands::group::group_kick,
            commands::group::group_join,
            commands::group::group_quit,
            commands::group::group_dismiss,
            commands::group::group_set_recv_opt,
            commands::group::group_pendency_list,
            commands::group::group_pendency_read,
            commands::group::group_pendency_handle,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Confab desktop app");
}

#[cfg(test)]
mod tests {
    #[test]
    fn media_permission_grants_the_microphone_only() {
        assert!(super::media_permission(true, false), "a microphone alone");
        assert!(!super::media_permission(false, true), "a camera");
        assert!(!super::media_permission(true, true), "a microphone with a camera");
        assert!(!super::media_permission(false, false), "neither (a screen)");
    }

    #[test]
    fn the_window_only_shows_the_app() {
        let ok = |u: &str| super::app_url(&tauri::Url::parse(u).unwrap());
        assert!(ok("tauri://localhost/"));
        assert!(ok("tauri://localhost/index.html#x"));
        assert!(ok("http://tauri.localhost/"));
        assert!(!ok("https://example.org/phish"));
        assert!(!ok("http://127.0.0.1:9780/healthz"));
        assert!(!ok("tauri://evil/"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("http://tauri.localhost.evil.example/"));
    }
}
