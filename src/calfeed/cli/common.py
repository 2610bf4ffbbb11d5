"""What every command shares: the --config option, the configuration with its store, the clock, and the one
translation of an error into a French message and an exit code."""

import datetime as dt
import errno
import os
from pathlib import Path

import click

from ..config import load_config
from ..errors import CalfeedError, DiskError
from ..model import utc_now
from ..store import DAMAGED, store_problem
from ..store.owner import open_store
from .words import Failure

config_option = click.option(
    "--config", "config_path", metavar="CHEMIN", default="sources.yaml", envvar="CALFEED_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path), help="Fichier de configuration des sources (par défaut : sources.yaml).")


def open_config(config_path):
    """The configuration and its store (an error in either is said by `failure`, never as a traceback)."""
    meta = click.get_current_context().meta
    config = load_config(config_path)
    meta["calfeed.store"] = config.store_path  # named by any error from here on
    store = open_store(config.store_path, config.path, config.legacy_store_path)
    meta["calfeed.store"] = store.path
    return config, store


# What a command may meet that is the user's or the machine's to fix, not calfeed's: said in French, without a
# traceback. Any other exception is a bug, and keeps its traceback.
REPORTED = (Failure, CalfeedError, *DAMAGED, OSError)


def failure(exc: Exception, store_path, exit_code: int = 1) -> Failure:
    """The one translation of an error met by a command (a CalfeedError — ConfigError, SourceError, DiskError,
    StoreError… —, a damaged store or a full disk, a path the system refuses) into the French message the
    command line shows and its exit code."""
    if isinstance(exc, Failure):
        found = exc
    elif isinstance(exc, DAMAGED):
        found = Failure(str(store_problem(store_path or "de calfeed", exc)))
    elif isinstance(exc, OSError):  # a path not writable, a full disk…
        message = os_error_message(exc)
        if store_path and exc.filename and Path(store_path).is_relative_to(Path(os.fsdecode(exc.filename))):
            message += " C'est le chemin de la base (« store: path: » dans sources.yaml)."
        found = Failure(message)
    else:
        found = Failure(str(exc))
    found.exit_code = exit_code
    return found


def now() -> dt.datetime:
    """The clock, read at the edge: CALFEED_NOW (an ISO date and time) replays a day of the programme
    — a rehearsal, a test of « a year later » — without waiting for it."""
    text = os.environ.get("CALFEED_NOW", "").strip()
    if not text:
        return utc_now()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Failure(f"CALFEED_NOW « {text} » illisible : attendu une date et heure ISO, par exemple "
                      "2026-11-12T09:00:00+01:00.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)


# What the system says when a path is wrong, for the operator (strerror is English). A disk that refuses to
# write (full, read-only, no permission) is errors.DiskError's to say, the one place for it.
OS_ERRORS = {
    errno.ENOENT: "fichier ou dossier introuvable : vérifiez le chemin",
    errno.ENOTDIR: "un élément de ce chemin est un fichier, pas un dossier : vérifiez le chemin",
    # What creating a folder says when a file of that name is already there.
    errno.EEXIST: "ce nom est déjà pris par un fichier là où il faut un dossier : vérifiez le chemin",
    errno.EISDIR: "c'est un dossier : indiquez un fichier",
    errno.ENAMETOOLONG: "chemin trop long",
}


def os_error_message(exc: OSError) -> str:
    """An error of the system (a path that cannot be written…) as a French sentence naming the path."""
    if DiskError.kind_of(exc.errno):
        return str(DiskError.from_os_error(exc.filename or ".", exc, "la commande s'est arrêtée avant d'écrire"))
    why = OS_ERRORS.get(exc.errno, exc.strerror or str(exc))
    return f"{exc.filename} : {why}." if exc.filename else f"{why}."
