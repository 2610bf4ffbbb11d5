"""The command line: each command reads the options, calls the domain, prints the result in French."""

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from ..addresses import static_feeds
from ..build import write_site
from ..config import load_config
from ..feeds import large_feeds
from ..init import CONFIG_NAME, STARTER
from ..pages import static_pages, status_context
from ..preview import format_preview, preview_source, source_for_preview
from ..publish import load_programme
from ..refresh import ensure_published, refresh_sources
from ..rehearsal import old_addresses, rehearse
from ..server import address_taken, run_server
from ..site_info import missing_legal
from ..sources import SOURCE_TYPES, type_keys
from . import look, operations, sources
from .common import REPORTED, config_option, failure, now, open_config as _open
from .report import _print_reports, _safe, _warn_large, _warn_legal, _warn_orphans
from .words import Failure, FrenchGroup, default_help


class _Commands(FrenchGroup):
    """The command group: the one place where an error of any command becomes its French message and exit code
    (`common.failure`): 1, or the command's own `error_code` (`diff` says « error » with 2)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except REPORTED as exc:
            command = self.commands.get(ctx.invoked_subcommand or "")
            raise failure(exc, ctx.meta.get("calfeed.store"), getattr(command, "error_code", 1)) from None


production_option = click.option(
    "--production", is_flag=True,
    help="Refuser de publier si la section « site: » n'indique pas le contact, le directeur de la publication et "
         "l'hébergeur (sans cette option, un avertissement seulement).")


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="calfeed", message="calfeed %(version)s", help="Affiche la version et quitte.")
def cli():
    """calfeed : agrège les sources d'événements et publie des agendas iCalendar."""


@cli.command()
@config_option
@click.option("--source", "only", metavar="SOURCE", multiple=True, help="N'actualiser que cette source (répétable).")
def fetch(config_path, only):
    """Actualise les sources (à lancer par cron ou un timer systemd)."""
    config, store = _open(config_path)
    reports = refresh_sources(config, store, now=now(), only=list(only) or None)
    click.echo(f"Actualisation de {len(reports)} source(s) :")
    _print_reports(reports, store)
    _warn_orphans(config, store)
    if any(not r.ok or r.held for r in reports):
        sys.exit(1)


@cli.command()
@config_option
@click.option("--output", "-o", metavar="DOSSIER", default="feeds", type=click.Path(file_okay=False, path_type=Path),
              help=default_help("Dossier où écrire les agendas et la page", "feeds"))
@click.option("--no-fetch", is_flag=True, help="Ne pas actualiser les sources avant d'écrire.")
@click.option("--no-event-pages", is_flag=True,
              help="Ne pas écrire une page et un .ics par événement (très grands programmes).")
@production_option
def build(config_path, output, no_fetch, no_event_pages, production):
    """Écrit les agendas statiques (.ics) et la page d'accueil dans un dossier."""
    config, store = _open(config_path)
    _refuse_unfinished(config, production)
    moment = now()
    if no_fetch:
        ensure_published(config, store, now=moment)
    else:
        reports = refresh_sources(config, store, now=moment)
        _print_reports(reports, store)
        if reports and not any(report.ok for report in reports):
            raise Failure("aucune source n'a pu être lue (voir ci-dessus) : agendas non écrits. Corrigez les "
                          "sources, ou écrivez le dernier état valide avec « calfeed build --no-fetch ».")
    programme = load_programme(store)
    report = write_site(config, programme, output,
                        static_pages(config, programme, moment, event_pages=not no_event_pages))
    click.echo(f"{len(programme.items)} événement(s) publiés dans {report.folder} : {len(report.written)} fichier(s) "
               f"écrit(s), {len(report.unchanged)} inchangé(s), {len(report.removed)} supprimé(s).")
    _warn_legal(config)
    _warn_orphans(config, store)
    if not config.base_url:
        click.echo(f"Attention : publish.base_url est vide dans {config.path.name}. La copie statique construit ses liens "
                   "d'abonnement dans le navigateur, ne peut pas servir d'agenda composé ni de « Mon programme », et "
                   "ses codes d'intégration restent relatifs : indiquez l'adresse publique du service.", err=True)


def _refuse_unfinished(config, production: bool):
    """In production, the legal pages must say who publishes and how to reach them: refuse before writing."""
    missing = missing_legal(config.site)
    if production and missing:
        raise Failure(f"publication refusée (--production) : section « site: » de {config.path.name}, à renseigner : "
                      f"{', '.join(missing)}. La loi demande de nommer le directeur de la publication et l'hébergeur, "
                      "et la déclaration d'accessibilité renvoie au contact. Renseignez-les, puis relancez.")


@cli.command()
@config_option
@click.option("--host", metavar="ADRESSE", default="127.0.0.1", help=default_help("Adresse d'écoute", "127.0.0.1"))
@click.option("--port", metavar="PORT", default=5000, type=click.IntRange(1, 65535),
              help=default_help("Port d'écoute, de 1 à 65535", 5000))
@click.option("--workers", metavar="N", default=2, type=click.IntRange(1, 64), help=default_help("Processus gunicorn, de 1 à 64", 2))
@click.option("--no-refresh", is_flag=True, help="Ne pas actualiser les sources en tâche de fond.")
@click.option("--quiet", is_flag=True, help="Ne pas journaliser chaque requête.")
@click.option("--cache-mb", metavar="MO", default=256, type=click.IntRange(0, 1 << 20),
              help=default_help("Mémoire gardée pour les agendas prêts à servir, par processus, en Mo", 256))
@production_option
def serve(config_path, host, port, workers, no_refresh, quiet, cache_mb, production):
    """Sert les agendas et la page en direct (gunicorn), en actualisant les sources périodiquement."""
    config, store = _open(config_path)
    _refuse_unfinished(config, production)
    ensure_published(config, store, remote=False)  # the workers read web sources in the background
    if why := address_taken(host, port):
        raise Failure(f"impossible d'écouter sur {host}:{port} : {why}.")
    click.echo(f"calfeed sert {config.edition_name} sur http://{host}:{port}/ "
               f"({workers} processus ; actualisation {'désactivée' if no_refresh else 'toutes les %d min' % (config.fetch_interval.total_seconds() // 60)}). "
               "Ctrl+C pour arrêter.")
    run_server(config.path, host=host, port=port, workers=workers, refresh=not no_refresh, access_log=not quiet,
               cache_mb=cache_mb)


def _local(moment: str | None, timezone: str) -> str:
    """A stored UTC time as the operator reads it: 30/11/2022 14:05 in the programme's time zone."""
    if not moment:
        return "jamais"
    return f"{dt.datetime.fromisoformat(moment).astimezone(ZoneInfo(timezone)):%d/%m/%Y %H:%M}"


@cli.command()
@config_option
@click.option("--no-fetch", is_flag=True, help="Afficher l'état enregistré sans relire les sources.")
def check(config_path, no_fetch):
    """Valide sources.yaml, relit chaque source et affiche son état, sans rien publier ; code de sortie 1 si
    une source échoue."""
    config, store = _open(config_path)
    with rehearse(config, store, now=now(), fetch=not no_fetch) as rehearsal:
        details = [(r.source_id, r.detail) for r in rehearsal.reports if r.detail]
        kept = old_addresses(config, rehearsal.after)
        status = status_context(config, rehearsal.copy, rehearsal.after)
        large = large_feeds(config, rehearsal.after, static_feeds(config, rehearsal.after))
    click.echo(f"{config.path} : configuration valide, {len(config.sources)} source(s), "
               f"{status['events']} événement(s) publiés.")
    _warn_legal(config)
    rows = [("Source", "État", "Dernier succès", "Lus", "Publiés", "Rejetés", "Dernière erreur")]
    for s in status["sources"]:
        rows.append((s["id"], "ÉCHEC" if not s["ok"] else "À VOIR" if s["held"] else "OK",
                     _local(s["last_success"], config.timezone), str(s["events_read"]),
                     str(s["events_published"]), str(len(s["rejected"])), _safe(s["last_error"] or "—")))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[6])
    for s in status["sources"]:
        for reason in s["rejected"]:
            click.echo(f"  {s['id']} — rejeté — {_safe(reason)}")
        for warning in s["warnings"]:
            click.echo(f"  {s['id']} — avertissement — {_safe(warning)}")
        for held in s["held"]:
            click.echo(f"  {s['id']} — retenu — {_safe(held)}")
    for source_id, detail in details:
        click.echo(f"  {source_id} — reçu — {_safe(detail)}")
    for line in kept:
        click.echo(f"  ancienne adresse d'agenda qui répond encore : {line}")
    _warn_orphans(config, store)
    _warn_large(large)
    if status["failing"]:
        click.echo(click.style(f"Source(s) en échec : {', '.join(status['failing'])}", fg="red"), err=True)
    if status["held"]:
        click.echo(click.style(f"Source(s) dont des événements publiés sont devenus illisibles : "
                               f"{', '.join(status['held'])} (« calfeed accept SOURCE » pour accepter leur état)",
                               fg="yellow"), err=True)
    if status["failing"] or status["held"]:
        sys.exit(1)


def source_key_options(command):
    """A --key option for each text key of a source type (--sheet, --agenda…), from the registry."""
    for name, key, owners in reversed(type_keys()):
        if key.schema.get("type") != "object":  # a mapping (columns:) is for sources.yaml only
            command = click.option(f"--{name.replace('_', '-')}", name, metavar="VALEUR", default="",
                                   help=f"{', '.join(owners)} : {key.help}.")(command)
    return command


@cli.command()
@config_option
@click.argument("source_id", required=False)
@click.option("--url", metavar="ADRESSE", default="", help="Adresse d'une source qui n'est pas (encore) dans sources.yaml.")
@click.option("--path", metavar="FICHIER", default="", type=click.Path(dir_okay=False), help="Fichier d'une source hors sources.yaml.")
@click.option("--type", "kind", metavar="TYPE", default="", help=f"Type de la source : {', '.join(SOURCE_TYPES)} (deviné pour un fichier "
                   "ou une adresse connue).")
@click.option("--category", metavar="CATÉGORIE", default="", help="Catégorie par défaut des événements (comme «\u00a0category:\u00a0» d'une source).")
@source_key_options
def preview(config_path, source_id, url, path, kind, **options):
    """Montre ce que calfeed lit d'une source (son id, ou un fichier : calfeed preview programme.csv), sans rien
    publier ni enregistrer. Sans sources.yaml, le vocabulaire est celui de « calfeed init »."""
    default = click.get_current_context().get_parameter_source("config_path") == click.core.ParameterSource.DEFAULT
    if default and not config_path.exists():
        config_path = STARTER / CONFIG_NAME
    config = load_config(config_path)
    source = source_for_preview(config, source_id, url=url, path=path, kind=kind, **options)
    result = preview_source(config, source)
    click.echo(_safe("\n".join(format_preview(result))))
    sys.exit(1 if result.error else 0)


def main():
    cli(prog_name="calfeed")


# The team's commands (cli/operations.py).
cli.add_command(look.diff)
cli.add_command(operations.init)
cli.add_command(operations.backup)
cli.add_command(operations.publish)
cli.add_command(sources.accept)
cli.add_command(sources.retire)
