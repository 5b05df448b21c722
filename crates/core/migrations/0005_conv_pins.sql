-- TIMConvPinConversation: the user's pinned conversations, synced with the server (the
-- server's `conv_pins` is the truth; this copy is refreshed at every login/resync and by live
-- events). Kept apart from `conversations` so a pin made on another device for a conversation
-- this device has not seen yet applies when the conversation appears.
CREATE TABLE conv_pins (
    conv_type   INTEGER NOT NULL,
    conv_id     TEXT NOT NULL,
    pinned_time INTEGER NOT NULL,
    PRIMARY KEY (conv_type, conv_id)
) WITHOUT ROWID;
