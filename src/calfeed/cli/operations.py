"""The commands of the team that runs calfeed: start a folder, back the store up, send the static tree."""

import getpass
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from ..config import load_config
from ..init import CONFIG_NAME, deploy_values, write_deploy_kit, write_starter
from ..store.backup import backup_store
from ..upload import upload_tree
from .common import config_option, open_config
from .words import FrenchGroup, default_help


@click.command(cls=FrenchGroup.command_class)
@click.argument("folder", metavar="[DOSSIER]", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--deploy", is_flag=True, help="Écrire aussi le kit de déploiement (systemd, conteneur, nginx) dans DOSSIER/deploy.")
@click.option("--server-name", metavar="NOM", default="",
              help="Nom public du service, pour nginx (par défaut : celui de publish.base_url, sinon agenda.exemple.gouv.fr).")
def init(folder, deploy, server_name):
    """Écrit un sources.yaml commenté (vocabulaire, une source d'exemple de chaque type) prêt pour « calfeed build »."""
    config_path = folder / CONFIG_NAME
    written = [] if deploy and config_path.exists() else write_starter(folder)
    if deploy:
        config = load_config(config_path)
        server = server_name or urlsplit(config.base_url).hostname or "agenda.exemple.gouv.fr"
        executable = Path(shutil.which("calfeed") or Path(sys.executable).with_name("calfeed")).resolve()
        written += write_deploy_kit(folder, deploy_values(folder, executable=executable, user=getpass.getuser(),
                                                          server=server, refresh=config.refresh))
    click.echo(f"{len(written)} fichier(s) écrit(s) dans {folder.resolve()} :")
    for path in written:
        click.echo(f"  {path}")
    if not deploy:
        click.echo(f"Ensuite : cd {folder} && calfeed build && calfeed serve   (puis http://127.0.0.1:5000/)")
    else:
        click.echo("Le kit de déploiement s'installe comme le dit le README, « En production ».")


@click.command(cls=FrenchGroup.command_class)
@config_option
@click.argument("target", metavar="FICHIER", type=click.Path(dir_okay=False, path_type=Path))
def backup(config_path, target):
    """Sauvegarde la base (copie à chaud, sûre pendant que calfeed sert) dans FICHIER."""
    _config, store = open_config(config_path)
    written = backup_store(store, target)
    click.echo(f"Base {store.path} sauvegardée dans {written} ({written.stat().st_size // 1024} Kio).")


@click.command(cls=FrenchGroup.command_class)
@config_option
@click.argument("destination", metavar="DESTINATION")
@click.option("--from", "folder", metavar="DOSSIER", default="feeds", type=click.Path(file_okay=False, path_type=Path),
              help=default_help("Dossier écrit par « calfeed build »", "feeds"))
def publish(config_path, destination, folder):
    """Envoie les agendas statiques vers s3://seau/préfixe (stockage objet compatible S3) ou un dossier.

    Seuls les fichiers modifiés sont envoyés ; un agenda n'est jamais supprimé de la destination."""
    config = load_config(config_path)
    report = upload_tree(folder, destination, refresh=config.refresh)
    click.echo(f"{destination} : {len(report.sent)} fichier(s) envoyé(s), {len(report.unchanged)} inchangé(s), "
               f"{len(report.removed)} supprimé(s).")
    if report.kept:
        click.echo(f"{len(report.kept)} agenda(s) absent(s) du build gardé(s) pour leurs abonnés : "
                   f"{', '.join(report.kept[:5])}{' …' if len(report.kept) > 5 else ''}")
