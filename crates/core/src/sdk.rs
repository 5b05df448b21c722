//! The [`Sdk`] type: one SDK instance (init, login, logout, config), owning the logged-in
//! [`Session`] and the tasks of API calls in flight, with the typed calls that sit on the
//! features. The JSON surface (`tim/`) adds [`Sdk::call`].
//!
//! Layer: sdk, above `engine`. It may import the engine, the features and everything below.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use confab_protocol::conv::Draft;
use confab_protocol::enums::{conv_type, login_status, msg_status};
use confab_protocol::wire::{is_valid_user_id, AccountResult, Request};
use confab_protocol::{ConvInfo, SetConfig};
use tokio::sync::mpsc;

use crate::engine::supervisor::Session;
use crate::error::{Error, Result};
use crate::events::{Emitter, SdkEvent};
use crate::features::{account, conversation, pins};
use crate::net::link::Link;
use crate::options::{MediaOptions, SdkOptions};
use crate::session::context::{LoginInfo, SessionCtx};
use crate::store::{self, LocalStore};
use crate::util::{hex, now_secs, platform};

/// The version `TIMGetSDKVersion` reports.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Messages the previous run left "sending" (the SDK was uninitialised or the process ended
/// mid-send, e.g. during an upload) become "failed": nothing is sending them any more, and the
/// user can resend (same message id, so a send that did reach the server is not stored twice;
/// an upload resumes from what the server holds). A message that did reach the server comes
/// back as sent with the next sync.
async fn fail_interrupted_sends(store: &LocalStore) -> Result<()> {
    let ids: Vec<String> = store.msg_ids_with_status(msg_status::SENDING).await?;
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for id in &ids {
        if let Some(mut m) = store::get_msg_in(&mut tx, id).await? {
            m.message_status = msg_status::SEND_FAIL;
            store::put_msg(&mut tx, &m).await?;
        }
    }
    tx.commit().await?;
    tracing::info!(count = ids.len(), "interrupted sends marked failed");
    Ok(())
}

struct Inner {
    opts: Mutex<SdkOptions>,
    inited: AtomicBool,
    sdk_app_id: AtomicU64,
    emitter: Emitter,
    session: tokio::sync::Mutex<Option<Session>>,
    login_busy: AtomicBool,
    config: Mutex<SetConfig>,
    /// Asynchronous parts of API calls in flight (owned, aborted by uninit).
    calls: Mutex<tokio::task::JoinSet<()>>,
}

/// One SDK instance (one data dir, at most one logged-in user). Cheap to clone.
#[derive(Clone)]
pub struct Sdk {
    inner: Arc<Inner>,
}

impl Sdk {
    pub fn new(opts: SdkOptions) -> Sdk {
        Sdk {
            inner: Arc::new(Inner {
                opts: Mutex::new(opts),
                inited: AtomicBool::new(false),
                sdk_app_id: AtomicU64::new(0),
                emitter: Emitter::default(),
                session: tokio::sync::Mutex::new(None),
                login_busy: AtomicBool::new(false),
                config: Mutex::new(SetConfig::default()),
                calls: Mutex::new(tokio::task::JoinSet::new()),
            }),
        }
    }

    /// Receive every event from now on.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<SdkEvent> {
        self.inner.emitter.subscribe()
    }

    fn opts(&self) -> SdkOptions {
        self.inner.opts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The server to use from now on (ConfabRegister / ConfabSignIn may name one).
    pub(crate) fn set_server_url(&self, url: String) {
        self.inner.opts.lock().unwrap_or_else(|e| e.into_inner()).server_url = url;
    }

    /// The logged-in user's media cache folder.
    pub async fn media_cache_dir(&self) -> Option<PathBuf> {
        let s = self.inner.session.lock().await;
        s.as_ref().map(|s| s.shared.login_info().media.cache_dir.clone())
    }

    /// Where downloads may be written.
    pub fn download_dir(&self) -> PathBuf {
        let o = self.opts();
        o.download_dir.unwrap_or_else(|| o.data_dir.join("downloads"))
    }

    pub fn is_inited(&self) -> bool {
        self.inner.inited.load(Ordering::SeqCst)
    }

    /// TIMInit. `config_dir` / `server_url` override the options when non-empty.
    pub fn init(&self, sdk_app_id: u64, config_dir: &str, server_url: &str) {
        let mut o = self.inner.opts.lock().unwrap_or_else(|p| p.into_inner());
        if !config_dir.is_empty() {
            o.data_dir = PathBuf::from(config_dir);
        }
        if !server_url.is_empty() {
            o.server_url = server_url.to_string();
        }
        self.inner.sdk_app_id.store(sdk_app_id, Ordering::SeqCst);
        self.inner.inited.store(true, Ordering::SeqCst);
    }

    pub(crate) fn spawn_call(&self, f: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut set = self.inner.calls.lock().unwrap_or_else(|p| p.into_inner());
        while set.try_join_next().is_some() {}
        set.spawn(f);
    }

    /// TIMUninit: log out (dropping every background task) and forget the init.
    pub async fn uninit(&self) {
        self.inner.calls.lock().unwrap_or_else(|p| p.into_inner()).abort_all();
        self.end_session().await;
        self.inner.inited.store(false, Ordering::SeqCst);
    }

    async fn end_session(&self) {
        if let Some(s) = self.inner.session.lock().await.take() {
            s.stop();
            let _ = s.shared.link.request_raw(Request::Logout).await;
            s.shared.store.close().await;
        }
    }

    /// The live session, or 6014.
    pub async fn shared(&self) -> Result<Arc<SessionCtx>> {
        // A call made while TIMLogin is still running waits for its outcome, so a script may
        // send right after asking to log in.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.inner.login_busy.load(Ordering::SeqCst) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        match self.inner.session.lock().await.as_ref() {
            Some(s) if s.shared.alive() => Ok(s.shared.clone()),
            _ => Err(Error::NotLoggedIn),
        }
    }

    pub async fn login_status(&self) -> i32 {
        if self.inner.login_busy.load(Ordering::SeqCst) {
            return login_status::LOGINING;
        }
        match self.shared().await {
            Ok(_) => login_status::LOGINED,
            Err(_) => login_status::UNLOGINED,
        }
    }

    pub async fn login_user(&self) -> Option<String> {
        self.shared().await.ok().map(|s| s.me.clone())
    }

    fn instance_id(dir: &Path) -> Result<String> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io(e.to_string()))?;
        let path = dir.join("instance_id");
        if let Ok(s) = std::fs::read_to_string(&path) {
            let s = s.trim().to_string();
            if !s.is_empty() {
                return Ok(s);
            }
        }
        let id: String = (0..16).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
        std::fs::write(&path, &id).map_err(|e| Error::Io(e.to_string()))?;
        Ok(id)
    }

    /// TIMLogin.
    pub async fn login(&self, user_id: &str, user_sig: &str) -> Result<()> {
        if !self.claim_login() {
            return Err(Error::LoginInProgress);
        }
        self.login_claimed(user_id, user_sig).await
    }

    /// Mark a login as running (false when one already is). `call("TIMLogin")` claims it
    /// synchronously, so that calls made right after it wait for its outcome (see `shared`).
    pub(crate) fn claim_login(&self) -> bool {
        !self.inner.login_busy.swap(true, Ordering::SeqCst)
    }

    /// Run a login claimed with `claim_login`; releases the claim.
    pub(crate) async fn login_claimed(&self, user_id: &str, user_sig: &str) -> Result<()> {
        let r = async {
            if !is_valid_user_id(user_id) {
                return Err(Error::Server(
                    confab_protocol::codes::ERR_SDK_COMM_INVALID_IDENTIFIER,
                    "user id must be 1-32 printable ASCII characters".into(),
                ));
            }
            if user_sig.is_empty() {
                return Err(Error::InvalidParam("user_sig is empty".into()));
            }
            self.login_inner(user_id, user_sig).await
        }
        .await;
        self.inner.login_busy.store(false, Ordering::SeqCst);
        r
    }

    async fn login_inner(&self, user_id: &str, user_sig: &str) -> Result<()> {
        self.end_session().await;
        let opts = self.opts();
        let instance_id = tokio::task::spawn_blocking({
            let d = opts.data_dir.clone();
            move || Sdk::instance_id(&d)
        })
        .await
        .map_err(|e| Error::Io(e.to_string()))??;
        let user_dir = opts.data_dir.join("users").join(hex(user_id));
        let store = LocalStore::open(&user_dir.join("confab.db")).await?;
        // Sends cut short by the previous run (uninit, crash) show as failed, ready to resend.
        if let Err(e) = fail_interrupted_sends(&store).await {
            store.close().await;
            return Err(e);
        }
        let link = Arc::new(Link::new(opts.server_url.clone(), opts.timeouts).with_extra_ca(opts.extra_ca_pem.clone()));
        let info = LoginInfo {
            sdk_app_id: self.inner.sdk_app_id.load(Ordering::SeqCst),
            user_id: user_id.to_string(),
            user_sig: user_sig.to_string(),
            platform: opts.platform.unwrap_or_else(platform),
            instance_id,
            fresh_sync_window: opts.fresh_sync_window,
            media: MediaOptions {
                cache_dir: user_dir.join("media-cache"),
                cache_cap: opts.media_cache_cap,
                ffmpeg_dir: opts.ffmpeg_dir.clone(),
            },
        };
        match Session::start(info, store.clone(), link, self.inner.emitter.clone()).await {
            Ok(s) => {
                *self.inner.session.lock().await = Some(s);
                tracing::info!("logged in");
                self.inner.emitter.log(confab_protocol::enums::log_level::INFO, "login succeeded");
                Ok(())
            }
            Err(e) => {
                store.close().await;
                self.inner
                    .emitter
                    .log(confab_protocol::enums::log_level::WARN, format!("login failed: code {}", e.code()));
                Err(e)
            }
        }
    }

    /// TIMLogout.
    pub async fn logout(&self) -> Result<()> {
        if self.inner.session.lock().await.is_none() {
            return Err(Error::NotLoggedIn);
        }
        self.end_session().await;
        Ok(())
    }

    /// TIMSetConfig: merge and return the effective configuration.
    pub fn set_config(&self, c: SetConfig) -> SetConfig {
        let mut cur = self.inner.config.lock().unwrap_or_else(|p| p.into_inner());
        if c.set_config_log_level.is_some() {
            cur.set_config_log_level = c.set_config_log_level;
        }
        if let Some(l) = c.set_config_callback_log_level {
            cur.set_config_callback_log_level = Some(l);
            self.inner.emitter.set_log_level(l);
        }
        if c.set_config_is_log_output_console.is_some() {
            cur.set_config_is_log_output_console = c.set_config_is_log_output_console;
        }
        if c.set_config_user_config.is_some() {
            cur.set_config_user_config = c.set_config_user_config;
        }
        if c.set_config_user_define_data.is_some() {
            cur.set_config_user_define_data = c.set_config_user_define_data;
        }
        cur.clone()
    }

    /// The server's clock, estimated from the offset seen at login.
    pub async fn server_time(&self) -> u64 {
        match self.shared().await {
            Ok(s) => s.server_clock(),
            Err(_) => now_secs(),
        }
    }

    /// ConfabServerInfo: what the logged-in server said of itself (its clock, its recall window
    /// for own messages), for a UI that wants to offer only what the server will accept.
    pub async fn server_info(&self) -> Result<serde_json::Value> {
        let shared = self.shared().await?;
        let window = shared.revoke_window.load(std::sync::atomic::Ordering::Relaxed);
        Ok(serde_json::json!({ "server_time": shared.server_clock(), "revoke_window": window }))
    }

    /// ConfabRegister / ConfabSignIn: password accounts over a short-lived connection.
    pub async fn account(
        &self,
        register: bool,
        user_id: &str,
        password: &str,
        nick_name: &str,
    ) -> Result<AccountResult> {
        account::account(&self.opts(), register, user_id, password, nick_name).await
    }

    /// ConfabChangePassword: a new password; every older UserSig of the user stops working and
    /// the other sessions end (they get the UserSig-expired event). Answers the fresh UserSig.
    pub async fn change_password(&self, old_password: &str, new_password: &str) -> Result<AccountResult> {
        let shared = self.shared().await?;
        account::change_password(&shared, old_password, new_password).await
    }

    /// ConfabSignOutEverywhere: every UserSig of the user issued so far stops working, every
    /// other session ends, then this one logs out.
    pub async fn sign_out_everywhere(&self) -> Result<()> {
        let shared = self.shared().await?;
        account::revoke_everywhere(&shared).await?;
        self.end_session().await;
        Ok(())
    }

    // ---- conversations ----

    pub async fn conv_create(&self, ct: u32, id: &str) -> Result<ConvInfo> {
        let s = self.shared().await?;
        conversation::create(&s, ct, id).await
    }

    pub async fn conv_delete(&self, ct: u32, id: &str) -> Result<()> {
        let s = self.shared().await?;
        conversation::delete(&s, ct, id).await
    }

    /// TIMConvPinConversation.
    pub async fn conv_pin(&self, ct: u32, id: &str, pinned: bool) -> Result<()> {
        let s = self.shared().await?;
        pins::pin(&s, ct, id, pinned).await
    }

    pub async fn conv_list(&self) -> Result<Vec<ConvInfo>> {
        let s = self.shared().await?;
        conversation::list(&s.store).await
    }

    pub async fn set_draft(&self, ct: u32, id: &str, draft: Option<Draft>) -> Result<()> {
        let s = self.shared().await?;
        conversation::set_draft(&s, ct, id, draft).await
    }

    pub fn valid_conv_type(ct: u32) -> bool {
        ct == conv_type::C2C || ct == conv_type::GROUP
    }
}
