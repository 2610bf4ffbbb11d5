"""What an adapter reads of its source's settings, and what it gives back: the events of a source, and what it
could not use, with where and why."""

from dataclasses import dataclass, field
from typing import Protocol

from ..model import Event


class Source(Protocol):
    """A source's settings as the readers use them: what config.Source offers them, named here because the
    configuration belongs to a higher layer (it reads the source types, which name the readers)."""

    @property
    def id(self) -> str: ...
    @property
    def timezone(self) -> str: ...  # of the times a source writes without a zone
    @property
    def preset(self) -> str: ...  # json: the shape of the document
    @property
    def columns(self) -> tuple[tuple[str, str], ...]: ...  # csv, xlsx: calfeed column → the sheet's own header
    @property
    def sheet(self) -> str: ...  # xlsx
    @property
    def max_bytes(self) -> int: ...
    @property
    def year(self) -> int | None: ...  # the edition's, for a date written without its year


@dataclass(frozen=True)
class Rejected:
    """An event of a source that could not be used, with where it was and why.

    `uid` is the natural key the event would have had (see `common.record_key`), when the source gives it an
    identifier of its own: an event published before keeps its last good version while it is
    unreadable. "" when unknown."""

    where: str
    reason: str
    uid: str = ""

    def __str__(self) -> str:
        return f"{self.where} : {self.reason}"


@dataclass
class Parsed:
    events: list[Event] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[Rejected] = field(default_factory=list)
    truncated: str = ""  # why the body looks cut short (its end is missing): not to be believed as is
    # A body without its final line end: (line, UIDs of its last row's events), that row's last cell may be cut
    # short; adapters.csv.cut_short compares it with the last good version.
    open_end: tuple[int, tuple[str, ...]] | tuple[()] = ()
    # Events the source marks private (their UID in `uid`): never published, withdrawn if they were.
    excluded: list[Rejected] = field(default_factory=list)
