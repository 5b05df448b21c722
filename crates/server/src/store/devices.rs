//! Device slots: which SDK instance holds a user's login on each platform, and instances that
//! were displaced while offline (their next login fails once with 6208).
use super::{sql, Tx};
use crate::error::Result;

impl Tx {
    /// The instance holding `(user, platform)`.
    pub async fn device_slot(&mut self, user: &str, platform: u32) -> Result<Option<String>> {
        Ok(sql!(scalar_opt String; self,
            "SELECT instance_id FROM device_slots WHERE user_id = $1 AND platform = $2", user, platform as i64)?)
    }

    pub async fn set_device_slot(&mut self, user: &str, platform: u32, instance: &str) -> Result<()> {
        sql!(exec self,
            "INSERT INTO device_slots (user_id, platform, instance_id) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, platform) DO UPDATE SET instance_id = excluded.instance_id",
            user, platform as i64, instance)?;
        Ok(())
    }

    /// Clear the "displaced while offline" flag of an instance; whether it was set.
    pub async fn take_kicked_flag(&mut self, user: &str, instance: &str) -> Result<bool> {
        let n = sql!(exec self,
            "DELETE FROM kicked_instances WHERE user_id = $1 AND instance_id = $2", user, instance)?;
        Ok(n > 0)
    }

    pub async fn flag_kicked(&mut self, user: &str, instance: &str) -> Result<()> {
        sql!(exec self,
            "INSERT INTO kicked_instances (user_id, instance_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            user, instance)?;
        Ok(())
    }
}
