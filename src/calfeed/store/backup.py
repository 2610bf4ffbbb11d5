"""A copy of the store taken with SQLite's online backup: consistent, and safe while `calfeed serve`
and a refresh use the store (readers and writers only wait for a page copy at a time)."""

import os
import sqlite3
from pathlib import Path

from ..errors import DiskError, StoreError
from . import Store

PAGES_PER_STEP = 256  # copied between two chances for writers to go on


def backup_store(store: Store, target: Path) -> Path:
    """Copy the store into `target` (through a temporary file and a rename: an older backup there stays
    whole until the new one is complete and checked); the file written."""
    target = Path(target).resolve()
    if target == store.path.resolve():
        raise StoreError(f"{target} est la base elle-même : choisissez un autre fichier de sauvegarde.")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        try:
            copy = sqlite3.connect(temporary)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"impossible d'écrire la sauvegarde {target} ({exc}) : vérifiez que son dossier "
                             "existe et que calfeed peut y écrire.") from None
        try:
            store.db.backup(copy, pages=PAGES_PER_STEP)
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "full" not in str(exc):
                raise
            raise DiskError(target, DiskError.FULL, str(exc), "la sauvegarde précédente est gardée") from None
        finally:
            copy.close()
        if verdict != "ok":
            raise StoreError(f"la copie de {store.path} n'est pas intègre ({verdict}) : la base est peut-être "
                             "endommagée ; la sauvegarde précédente est gardée.")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
