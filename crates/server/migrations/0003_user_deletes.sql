-- Roaming deletes are per user: the message stays for the other party, but the deleter's
-- history never shows it again (TIMMsgDelete roaming, TIMMsgListDelete, clear history).
CREATE TABLE hidden_messages (
    user_id   TEXT NOT NULL,
    msg_rowid INTEGER NOT NULL,
    PRIMARY KEY (user_id, msg_rowid)
) WITHOUT ROWID;

CREATE TABLE cleared_history (
    user_id   TEXT NOT NULL,
    conv_type INTEGER NOT NULL,
    conv_key  TEXT NOT NULL,
    up_to_seq INTEGER NOT NULL,
    PRIMARY KEY (user_id, conv_type, conv_key)
) WITHOUT ROWID;
