"""What every command shares: the --config option, the configuration with its store, the clock."""

import datetime as dt
import errno
import os
from pathlib import Path

import click

from ..config import load_config
from ..errors import CalfeedError, DiskError
from ..model import utc_now
from ..store.owner import open_store
from .words import Failure

config_option = click.option(
    "--config", "config_path", metavar="CHEMIN", default="sources.yaml", envvar="CALFEED_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path), help="Fichier de configuration des sources (par défaut : sources.yaml).")


def open_config(config_path):
    """The configuration and its store; a French message, never a traceback, when either is unusable."""
    meta = click.get_current_context().meta
    try:
        config = load_config(config_path)
        meta["calfeed.store"] = config.store_path  # named by any error from here on
        store = open_store(config.store_path, config.path, config.legacy_store_path)
    except CalfeedError as exc:
        raise Failure(str(exc)) from None
    meta["calfeed.store"] = store.path
    return config, store


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
    errno.EISDIR: "c'est un dossier : indiquez un fichier",
    errno.ENAMETOOLONG: "chemin trop long",
}


def os_error_message(exc: OSError) -> str:
    """An error of the system (a path that cannot be written…) as a French sentence naming the path."""
    if DiskError.kind_of(exc.errno):
        return str(DiskError.from_os_error(exc.filename or ".", exc, "la commande s'est arrêtée avant d'écrire"))
    why = OS_ERRORS.get(exc.errno, exc.strerror or str(exc))
    return f"{exc.filename} : {why}." if exc.filename else f"{why}."
