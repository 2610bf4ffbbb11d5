"""The project's error hierarchy: every message says where and how to fix."""


class CalfeedError(Exception):
    """Base class of the errors calfeed reports to its users."""


class ConfigError(CalfeedError, ValueError):
    """`sources.yaml` is missing, unreadable or invalid."""


class SourceError(CalfeedError):
    """A source could not be fetched or read."""

    def __init__(self, source_id: str, message: str, *, http_status: int | None = None, detail: str = ""):
        super().__init__(f"source « {source_id} » : {message}")
        self.source_id = source_id
        self.reason = message
        self.http_status = http_status
        # What the source sent (the start of an HTML page, a header line): for the operator's terminal
        # only, never stored nor shown on the public status page.
        self.detail = detail


class SelectionError(CalfeedError, ValueError):
    """A feed selection names an unknown value."""


class EventError(CalfeedError, ValueError):
    """One event of a source is unusable; the rest of the source is kept."""


class StoreError(CalfeedError):
    """The store cannot be used: unreadable, damaged, or owned by another configuration."""
