-- TIMConvPinConversation: the conversations each user has pinned (one row per pin), shared by
-- all of the user's devices.
CREATE TABLE conv_pins (
    user_id     TEXT NOT NULL,
    conv_type   INTEGER NOT NULL,
    conv_id     TEXT NOT NULL,
    pinned_time INTEGER NOT NULL,
    PRIMARY KEY (user_id, conv_type, conv_id)
) WITHOUT ROWID;
