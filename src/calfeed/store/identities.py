"""The store's identity tables (STYLE habit 16): under which UID each (source, natural key) was published, and
the sources the team retired. Part of Store (see store/__init__.py), the only SQL."""

import datetime as dt


class IdentityTables:
    """Store's methods over the identity tables; `self.db` is the store's connection."""

    def identities(self) -> dict[tuple[str, str], str]:  # (source, natural key) → UID (STYLE habit 16)
        return {(source, key): uid for source, key, uid in self.db.execute("SELECT * FROM identities")}

    def bind_identities(self, db, bindings):
        db.executemany("INSERT OR REPLACE INTO identities VALUES (?, ?, ?)", bindings)

    def retired_sources(self) -> dict[str, str]:  # the sources ended by `calfeed retire`, with when
        return dict(self.db.execute("SELECT source_id, retired_at FROM retired_sources"))

    def retire_source(self, db, source_id: str, now: dt.datetime):
        when = now.astimezone(dt.UTC).isoformat(timespec="seconds")
        db.execute("INSERT OR REPLACE INTO retired_sources VALUES (?, ?)", (source_id, when))

    def unretire_sources(self, db, source_ids):  # back in sources.yaml
        db.executemany("DELETE FROM retired_sources WHERE source_id = ?", ((s,) for s in source_ids))
