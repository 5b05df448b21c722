-- Full-text search over local messages (TIMMsgSearchLocalMessages). The trigram tokenizer
-- finds any substring of three or more characters, Chinese included. One- and two-character
-- CJK keywords use msg_fts_cjk, where every CJK character is its own token (so a keyword is a
-- phrase of adjacent tokens); other short keywords fall back to LIKE. Kept in step by store::put_msg (insert, update,
-- revoke, delete). `types` holds the message's element types as " 0 4 " for type filters.
-- Both tables use the rowid of `messages` as their rowid.
CREATE VIRTUAL TABLE msg_fts USING fts5(
    types UNINDEXED,
    body_text,
    tokenize = 'trigram'
);

CREATE VIRTUAL TABLE msg_fts_cjk USING fts5(
    chars,
    tokenize = 'unicode61'
);
