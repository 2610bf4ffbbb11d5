"""What every command shares: the --config option, and the configuration with its store."""

import errno
import re
from pathlib import Path

import click

from ..config import load_config
from ..errors import CalfeedError
from ..store.owner import open_store
from .words import Failure

config_option = click.option(
    "--config", "config_path", metavar="CHEMIN", default="sources.yaml", envvar="CALFEED_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path), help="Fichier de configuration des sources (par défaut : sources.yaml).")


def open_config(config_path):
    """The configuration and its store; a French message, never a traceback, when either is unusable."""
    try:
        config = load_config(config_path)
        store = open_store(config.store_path, config.path, config.legacy_store_path)
    except CalfeedError as exc:
        raise Failure(str(exc)) from None
    click.get_current_context().meta["calfeed.store"] = store.path
    return config, store


# C0 and C1 controls (ESC, CSI…) from a source would drive the operator's terminal: show them as \xNN.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text) -> str:
    """Text from a source, made harmless to print in a terminal."""
    return CONTROLS.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


# What the system says when a file cannot be written or read, for the operator (strerror is English).
OS_ERRORS = {
    errno.EACCES: "permission refusée : lancez calfeed avec l'utilisateur propriétaire de ce chemin, ou donnez-lui "
                  "les droits (chown, chmod)",
    errno.EPERM: "opération non permise : vérifiez le propriétaire et les droits de ce chemin",
    errno.ENOSPC: "disque plein : libérez de la place (df -h), puis relancez la commande ; rien n'est à moitié écrit",
    errno.EDQUOT: "quota disque atteint : libérez de la place, puis relancez la commande",
    errno.EROFS: "système de fichiers en lecture seule : choisissez un dossier où calfeed peut écrire",
    errno.ENOENT: "fichier ou dossier introuvable : vérifiez le chemin",
    errno.ENOTDIR: "un élément de ce chemin est un fichier, pas un dossier : vérifiez le chemin",
    errno.EISDIR: "c'est un dossier : indiquez un fichier",
    errno.ENAMETOOLONG: "chemin trop long",
}


def os_error_message(exc: OSError) -> str:
    """An error of the system (a path that cannot be written…) as a French sentence naming the path."""
    why = OS_ERRORS.get(exc.errno, exc.strerror or str(exc))
    return f"{exc.filename} : {why}." if exc.filename else f"{why}."
