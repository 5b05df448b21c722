-- TIMMsgSetC2CReceiveMessageOpt: how `user_id` receives one-to-one messages from `peer`.
-- 0 receive, 1 do not receive (not delivered), 2 receive without notification.
CREATE TABLE c2c_recv_opts (
    user_id TEXT NOT NULL,
    peer    TEXT NOT NULL,
    opt     INTEGER NOT NULL,
    PRIMARY KEY (user_id, peer)
) WITHOUT ROWID;
