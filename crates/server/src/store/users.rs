//! Users: accounts, profiles.
use confab_protocol::UserProfile;

use super::cache::Invalidate;
use super::{sql, Conn, Tx};
use crate::error::Result;

#[derive(sqlx::FromRow)]
struct ProfileRow {
    nick_name: String,
    face_url: String,
    self_signature: String,
    gender: i64,
}

/// A profile change; `None` keeps the current value.
#[derive(Debug, Default, Clone)]
pub struct ProfileChange {
    pub nick_name: Option<String>,
    pub face_url: Option<String>,
    pub self_signature: Option<String>,
    pub gender: Option<i64>,
}

impl Conn {
    pub async fn user_exists(&mut self, user: &str) -> Result<bool> {
        Ok(sql!(scalar_opt i32; self, "SELECT 1 FROM users WHERE user_id = $1", user)?.is_some())
    }

    /// A user's profile as carried in `message_sender_profile` and tips/report operator info
    /// (an unknown user gets an empty profile with just the identifier).
    pub async fn profile(&mut self, user: &str) -> Result<UserProfile> {
        let row = sql!(opt ProfileRow; self,
            "SELECT nick_name, face_url, self_signature, gender FROM users WHERE user_id = $1", user)?;
        let mut p = UserProfile { user_profile_identifier: user.to_string(), ..Default::default() };
        if let Some(r) = row {
            p.user_profile_nick_name = r.nick_name;
            p.user_profile_face_url = r.face_url;
            p.user_profile_self_signature = r.self_signature;
            p.user_profile_gender = r.gender as u32;
        }
        Ok(p)
    }

    /// UserSigs of `user` issued before this time (Unix seconds) are revoked; 0 when none are.
    pub async fn sig_epoch(&mut self, user: &str) -> Result<i64> {
        Ok(sql!(scalar_opt i64; self, "SELECT sig_epoch FROM users WHERE user_id = $1", user)?.unwrap_or(0))
    }

    /// The stored password hash: `None` for an unknown user, `Some(None)` for a UserSig-only one.
    pub async fn password_hash(&mut self, user: &str) -> Result<Option<Option<String>>> {
        Ok(sql!(scalar_opt Option<String>; self, "SELECT password_hash FROM users WHERE user_id = $1", user)?)
    }
}

impl Tx {
    /// Create the user row on first login (UserSig accounts have no password).
    pub async fn ensure_user(&mut self, user: &str, now: u64) -> Result<()> {
        self.invalidations.push(Invalidate::Profile(user.to_string()));
        sql!(exec self,
            "INSERT INTO users (user_id, created_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
            user, now as i64)?;
        Ok(())
    }

    /// Register a password account; false when the user id is taken.
    pub async fn create_account(&mut self, user: &str, hash: &str, nick: &str, now: u64) -> Result<bool> {
        self.invalidations.push(Invalidate::Profile(user.to_string()));
        let n = sql!(exec self,
            "INSERT INTO users (user_id, password_hash, nick_name, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO NOTHING",
            user, hash, nick, now as i64)?;
        Ok(n == 1)
    }

    /// Revoke every UserSig of `user` issued so far, at `now` (Unix seconds): the epoch moves
    /// past now and past the previous epoch (UserSigs carry whole seconds, and ones handed out
    /// since the last revocation may carry that epoch). Returns the new epoch.
    pub async fn revoke_sigs(&mut self, user: &str, now: i64) -> Result<i64> {
        let epoch = self.sig_epoch(user).await?.max(now) + 1;
        sql!(exec self, "UPDATE users SET sig_epoch = $1 WHERE user_id = $2", epoch, user)?;
        Ok(epoch)
    }

    /// Replace the password hash of an existing user; false when there is no such user.
    pub async fn set_password_hash(&mut self, user: &str, hash: &str) -> Result<bool> {
        Ok(sql!(exec self, "UPDATE users SET password_hash = $1 WHERE user_id = $2", hash, user)? == 1)
    }

    pub async fn modify_profile(&mut self, user: &str, c: ProfileChange) -> Result<()> {
        self.invalidations.push(Invalidate::Profile(user.to_string()));
        sql!(exec self,
            "UPDATE users SET nick_name = COALESCE($1, nick_name), face_url = COALESCE($2, face_url),
             self_signature = COALESCE($3, self_signature), gender = COALESCE($4, gender) WHERE user_id = $5",
            c.nick_name, c.face_url, c.self_signature, c.gender, user)?;
        Ok(())
    }
}
