"""What every command shares: the --config option, and the configuration with its store."""

import errno
from pathlib import Path

import click

from ..config import load_config
from ..errors import CalfeedError, DiskError
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


# What the system says when a path is wrong, for the operator (strerror is English). A disk that refuses to
# write (full, read-only, no permission) is errors.DiskError's to say, the one place for it.
DISK_ERRNOS = (errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO)
OS_ERRORS = {
    errno.ENOENT: "fichier ou dossier introuvable : vérifiez le chemin",
    errno.ENOTDIR: "un élément de ce chemin est un fichier, pas un dossier : vérifiez le chemin",
    errno.EISDIR: "c'est un dossier : indiquez un fichier",
    errno.ENAMETOOLONG: "chemin trop long",
}


def os_error_message(exc: OSError) -> str:
    """An error of the system (a path that cannot be written…) as a French sentence naming the path."""
    if exc.errno in DISK_ERRNOS:
        return str(DiskError.from_os_error(exc.filename or ".", exc, "la commande s'est arrêtée avant d'écrire"))
    why = OS_ERRORS.get(exc.errno, exc.strerror or str(exc))
    return f"{exc.filename} : {why}." if exc.filename else f"{why}."
