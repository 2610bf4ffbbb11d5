"""The project's error hierarchy: every message says where and how to fix."""

import errno
import os
import pwd
from pathlib import Path

# A file or folder as callers name it: a path, or its text.
Where = str | os.PathLike[str]


class CalfeedError(Exception):
    """Base class of the errors calfeed reports to its users."""


class ConfigError(CalfeedError, ValueError):
    """`sources.yaml` is missing, unreadable or invalid."""


class SourceError(CalfeedError):
    """A source could not be fetched or read."""

    def __init__(self, source_id: str, message: str, *, http_status: int | None = None, detail: str = "") -> None:
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


class DiskError(CalfeedError):
    """A file calfeed must write cannot be written: no permission, a read-only or full disk, a failing disk.
    Never « damaged »: nothing is wrong with the data, and renaming or deleting it would lose it."""

    FULL, READ_ONLY, DENIED, FAILING = "plein", "lecture seule", "refusé", "défaillant"

    def __init__(self, where: Where, problem: str, detail: str, kept: str) -> None:
        self.where, self.problem = where, problem
        folder = _folder_of(where)
        if problem == self.FULL:
            advice = (f"le disque qui porte {folder} est plein ({detail}). Libérez de la place sur ce disque (ou "
                      "relevez le quota de l'utilisateur), puis relancez la commande")
        elif problem == self.READ_ONLY:
            advice = (f"le disque qui porte {folder} est monté en lecture seule ({detail}). Remontez-le en "
                      "lecture-écriture, ou choisissez un emplacement sur un disque inscriptible, puis relancez")
        elif problem == self.DENIED:
            advice = (f"l'utilisateur {_user()} n'a pas le droit d'y écrire ({detail}). Donnez-lui ce droit "
                      f"sur le fichier et sur son dossier {folder} (chown ou chmod), ou lancez calfeed sous "
                      "l'utilisateur propriétaire, puis relancez")
        else:
            advice = (f"le disque qui porte {folder} ne répond pas correctement ({detail}). Vérifiez son état "
                      "(journal du système, « dmesg ») et l'espace libre, puis relancez")
        super().__init__(f"impossible d'écrire {where} : {advice}. Rien n'a été perdu : {kept}.")

    @classmethod
    def from_os_error(cls, where: Where, exc: OSError, kept: str) -> "DiskError":
        """The error for an OSError that `kind_of` says is the disk's; any other is said as a failing disk."""
        return cls(where, cls.kind_of(exc.errno) or cls.FAILING, exc.strerror or str(exc), kept)

    @classmethod
    def kind_of(cls, code: int | None) -> str | None:
        """What an errno says about the disk, as the operator must act on it; None when it is not the disk
        (a path that does not exist, a file where a folder belongs: the operator's path, said as such)."""
        if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return cls.FULL
        if code == errno.EROFS:
            return cls.READ_ONLY
        if code in (errno.EACCES, errno.EPERM):
            return cls.DENIED
        if code == errno.EIO:
            return cls.FAILING
        return None


def _folder_of(where: Where) -> str:
    path = Path(where)
    return str(path if path.is_dir() else path.parent)


def _user() -> str:
    try:
        return f"« {pwd.getpwuid(os.geteuid()).pw_name} »"
    except KeyError:
        return f"n° {os.geteuid()}"
