-- The local media cache (files under <user dir>/media-cache/<content id>). Every image tier,
-- sound, file, video and snapshot has its own content id, so the id names the element and the
-- tier. last_access is a logical clock (larger = used more recently) for LRU eviction.
CREATE TABLE media_cache (
    content_id  TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    last_access INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX media_cache_lru ON media_cache (last_access);
