"""The store's schema: its migrations, in order."""

# Each entry upgrades the schema by one version; never edit one that has shipped, add a new one.
MIGRATIONS = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        events_json TEXT NOT NULL DEFAULT '[]',
        event_count INTEGER NOT NULL DEFAULT 0,
        rejected_json TEXT NOT NULL DEFAULT '[]',
        warnings_json TEXT NOT NULL DEFAULT '[]',
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        last_attempt TEXT,
        last_success TEXT,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        http_status INTEGER,
        bytes INTEGER,
        events_read INTEGER,
        events_rejected INTEGER,
        error TEXT
    );
    CREATE INDEX fetches_by_source ON fetches (source_id, id);
    CREATE TABLE published (
        uid TEXT PRIMARY KEY,
        source_id TEXT NOT NULL,
        event_json TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        modified TEXT NOT NULL,
        vanished_at TEXT,
        sort_key TEXT NOT NULL,
        render_key TEXT NOT NULL,
        vevent BLOB NOT NULL
    );
    CREATE INDEX published_order ON published (sort_key);
    INSERT INTO meta VALUES ('generation', '0');
    """,
    # 2: one row per snapshot event, so that large sources are written and read as streams.
    """
    CREATE TABLE snapshot_events (
        source_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        event_json TEXT NOT NULL,
        PRIMARY KEY (source_id, position)
    );
    INSERT INTO snapshot_events (source_id, position, event_json)
        SELECT sources.id, CAST(entry.key AS INTEGER), entry.value FROM sources, json_each(sources.events_json) AS entry;
    UPDATE sources SET events_json = '[]';
    """,
    # 3: which events a source rejected (their UIDs when known), and the published events held at their last
    # good version because their source now serves them unreadable.
    """
    ALTER TABLE sources ADD COLUMN rejected_uids_json TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE sources ADD COLUMN held_json TEXT NOT NULL DEFAULT '[]';
    """,
    # 4: how many times each feed was asked for, per day (for the team's reporting; nothing about who asked).
    """
    CREATE TABLE feed_requests (
        day TEXT NOT NULL,
        feed TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, feed)
    );
    """,
    # 5: identity kept by the store (STYLE habit 16): each event's natural key in its source → the UID its
    # subscribers know; the sources the team retired (`calfeed retire`); the date and nature of each published
    # event's last change, said in its description. Existing UIDs are kept: publishing adopts them
    # (identity.py), once each source is read again.
    """
    CREATE TABLE identities (
        source_id TEXT NOT NULL,
        natural_key TEXT NOT NULL,
        uid TEXT NOT NULL,
        PRIMARY KEY (source_id, natural_key)
    );
    CREATE INDEX identities_by_uid ON identities (uid);
    CREATE TABLE retired_sources (source_id TEXT PRIMARY KEY, retired_at TEXT NOT NULL);
    ALTER TABLE published ADD COLUMN last_change TEXT NOT NULL DEFAULT '';
    UPDATE sources SET body_hash = NULL;
    """,
    # 6: every feed address once published, with the name and selection it had then: an address that reached
    # subscribers keeps answering after the team retires or renames its feed.
    """
    CREATE TABLE IF NOT EXISTS feed_addresses (
        path TEXT PRIMARY KEY,
        feed_group TEXT NOT NULL,
        slug TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        label TEXT NOT NULL,
        filters_json TEXT NOT NULL,
        first_published TEXT NOT NULL,
        last_configured TEXT NOT NULL
    );
    """,
)
