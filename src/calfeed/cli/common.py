"""What every command shares: the --config option, and the configuration with its store."""

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
