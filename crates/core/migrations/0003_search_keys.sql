-- Search index keyed by conversation and time (replaces the rowid-keyed tables of 0002).
--
-- Every indexed message (not deleted, not revoked) has a search key:
--     key = conv_no << 44 | key_time << 12 | slot
-- conv_no numbers the conversation (search_convs), key_time is the message's sort_time in
-- seconds (clamped to 32 bits) and slot tells apart up to 4096 messages of one conversation in
-- the same second. When a second's slots are full, the message takes a slot of a later second
-- (key_time > time; search_convs.spill is the largest such shift), so key_time >= time always.
-- The FTS tables use the key as their rowid, so one conversation is one rowid range, newest
-- first is `ORDER BY rowid DESC`, and counting hits needs no join.
CREATE TABLE search_convs (
    conv_no   INTEGER PRIMARY KEY,
    conv_type INTEGER NOT NULL,
    conv_id   TEXT NOT NULL,
    spill     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conv_type, conv_id)
);

-- The filter columns of each indexed message: its real sort time and seq (exact order within
-- a second), sender, and element types as " 0 4 ".
CREATE TABLE search_keys (
    key       INTEGER PRIMARY KEY,
    msg_rowid INTEGER NOT NULL UNIQUE,
    time      INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    sender    TEXT NOT NULL,
    types     TEXT NOT NULL
);

-- Trigram index: any substring of three or more characters, Chinese included; its content
-- also serves LIKE for shorter non-CJK keywords. Messages without text have no row.
CREATE VIRTUAL TABLE search_fts USING fts5(body_text, tokenize = 'trigram');

-- One token per CJK character (store::cjk_tokens), for one- and two-character CJK keywords.
CREATE VIRTUAL TABLE search_fts_cjk USING fts5(chars, tokenize = 'unicode61', content = '', contentless_delete = 1);

-- Carry over what 0002 indexed: keys in (time, seq, msg_id) order per conversation, packed so
-- that no two share a key.
INSERT INTO search_convs (conv_type, conv_id)
SELECT DISTINCT m.conv_type, m.conv_id FROM msg_fts f JOIN messages m ON m.rowid = f.rowid ORDER BY 1, 2;

INSERT INTO search_keys (key, msg_rowid, time, seq, sender, types)
SELECT (conv_no << 44) + rn + MAX((t << 12) - rn) OVER (PARTITION BY conv_no ORDER BY rn ROWS UNBOUNDED PRECEDING),
       rid, t, seq, sender, types
FROM (
    SELECT c.conv_no, MIN(MAX(m.sort_time, 0), 4293918719) AS t, m.seq, m.rowid AS rid, m.sender, f.types,
           ROW_NUMBER() OVER (
               PARTITION BY c.conv_no ORDER BY MIN(MAX(m.sort_time, 0), 4293918719), m.seq, m.msg_id
           ) - 1 AS rn
    FROM msg_fts f
    JOIN messages m ON m.rowid = f.rowid
    JOIN search_convs c ON c.conv_type = m.conv_type AND c.conv_id = m.conv_id
);

UPDATE search_convs SET spill = (
    SELECT COALESCE(MAX(((key >> 12) & 4294967295) - time), 0) FROM search_keys
    WHERE key BETWEEN (conv_no << 44) AND (conv_no << 44) + 17592186044415
);

INSERT INTO search_fts (rowid, body_text)
SELECT k.key, f.body_text FROM search_keys k JOIN msg_fts f ON f.rowid = k.msg_rowid WHERE f.body_text != '';

INSERT INTO search_fts_cjk (rowid, chars)
SELECT k.key, c.chars FROM search_keys k JOIN msg_fts_cjk c ON c.rowid = k.msg_rowid;

DROP TABLE msg_fts;
DROP TABLE msg_fts_cjk;
