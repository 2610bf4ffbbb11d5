"""What a failing store means for the operator: a damaged file, or a disk that refuses to write (full,
read-only, no permission, failing) — said as such, never with the advice for a damaged file."""

import os
import sqlite3
from pathlib import Path

from ..errors import CalfeedError, DiskError, StoreError

# What a damaged database file raises from any query (« database disk image is malformed »…).
DAMAGED = (sqlite3.DatabaseError,)


# SQLite's primary result codes (sqlite.org/rescode.html) that blame the disk, not the data: renaming or
# restoring the file would not help, and the advice for a damaged file would lose the history.
SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 3, 8, 10, 13, 14
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # another process holds the base longer than busy_timeout
KEPT = "cette commande n'a rien changé dans la base, ce qui était publié le reste"


def store_problem(path, exc: Exception) -> CalfeedError:
    """What an SQLite error met on the store means for the operator: a disk that refuses to write (full,
    read-only, no permission, failing), said as such, or a damaged file."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return StoreError(f"la base {path} est restée occupée par un autre processus calfeed ({exc}) : rien n'a "
                          "été changé. Attendez la fin de l'autre commande (une actualisation longue, un "
                          "« calfeed serve » bloqué), puis relancez.")
    if primary not in (SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN):
        return StoreError(damaged_message(path, exc))
    folder = Path(path).parent
    try:
        disk = os.statvfs(folder if folder.exists() else ".")
        read_only, full = bool(disk.f_flag & os.ST_RDONLY), disk.f_bavail == 0
    except OSError:
        read_only = full = False
    if primary == SQLITE_FULL or full:
        problem = DiskError.FULL
    elif read_only:
        problem = DiskError.READ_ONLY
    elif primary == SQLITE_IOERR:
        problem = DiskError.FAILING
    else:
        problem = DiskError.DENIED
    name = Path(path).name
    detail = f"SQLite : {exc}" + ("" if problem != DiskError.DENIED else
                                  f" ; SQLite écrit aussi {name}-wal et {name}-shm dans ce dossier")
    return DiskError(path, problem, detail, KEPT)


def damaged_message(path, exc: Exception) -> str:
    """What to tell the operator when the store's file is damaged."""
    return (f"la base {path} est endommagée ({exc}). Arrêtez calfeed, puis restaurez une sauvegarde de ce "
            "fichier ; à défaut, renommez-le : « calfeed fetch » en recréera un à partir des sources, mais "
            "l'historique des versions repartira de zéro (annulations en cours oubliées, SEQUENCE remises à 0 : "
            "des agendas abonnés pourraient ignorer la prochaine modification d'un événement déjà modifié).")
