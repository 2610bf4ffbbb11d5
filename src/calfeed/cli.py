"""The command line: each command reads the options, calls the domain, prints the result in French."""

import sys
from pathlib import Path

import click

from .build import write_site
from .config import load_config
from .errors import CalfeedError
from .model import utc_now
from .pages import static_pages, status_context
from .publish import load_programme
from .refresh import ensure_published, refresh_sources
from .server import run_server
from .store import Store

config_option = click.option(
    "--config", "config_path", default="sources.yaml", show_default=True, envvar="CALFEED_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path), help="Fichier de configuration des sources.")


def _open(config_path):
    try:
        config = load_config(config_path)
        return config, Store(config.store_path)
    except CalfeedError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="calfeed", message="calfeed %(version)s")
def cli():
    """calfeed : agrège les sources d'événements et publie des agendas iCalendar."""


def _print_reports(reports):
    for report in reports:
        if report.ok:
            mark = click.style("OK", fg="green")
            detail = f"{report.events} événement(s)"
            if report.rejected:
                detail += f", {len(report.rejected)} rejeté(s)"
            if not report.changed:
                detail += " (inchangée)"
        else:
            mark = click.style("ÉCHEC", fg="red")
            detail = f"{report.error} — les derniers événements valides restent publiés"
        click.echo(f"  {mark}  {report.source_id} : {detail}")
        for line in report.rejected[:10]:
            click.echo(f"        rejeté — {line}")
        if len(report.rejected) > 10:
            click.echo(f"        … et {len(report.rejected) - 10} autre(s) (voir « calfeed check »)")


@cli.command()
@config_option
@click.option("--source", "only", multiple=True, help="N'actualiser que cette source (répétable).")
def fetch(config_path, only):
    """Actualise les sources (à lancer par cron ou un timer systemd)."""
    config, store = _open(config_path)
    try:
        reports = refresh_sources(config, store, only=list(only) or None)
    except CalfeedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Actualisation de {len(reports)} source(s) :")
    _print_reports(reports)
    if any(not r.ok for r in reports):
        sys.exit(1)


@cli.command()
@config_option
@click.option("--output", "-o", default="feeds", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Dossier où écrire les agendas et la page.")
@click.option("--no-fetch", is_flag=True, help="Ne pas actualiser les sources avant d'écrire.")
@click.option("--no-event-pages", is_flag=True,
              help="Ne pas écrire une page et un .ics par événement (très grands programmes).")
def build(config_path, output, no_fetch, no_event_pages):
    """Écrit les agendas statiques (.ics) et la page d'accueil dans un dossier."""
    config, store = _open(config_path)
    try:
        if no_fetch:
            ensure_published(config, store)
        else:
            reports = refresh_sources(config, store)
            _print_reports(reports)
        programme = load_programme(store)
        report = write_site(config, programme, output,
                            static_pages(config, programme, utc_now(), event_pages=not no_event_pages))
    except CalfeedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(programme.items)} événement(s) publiés dans {report.folder} : {len(report.written)} fichier(s) "
               f"écrit(s), {len(report.unchanged)} inchangé(s), {len(report.removed)} supprimé(s).")
    if not config.base_url:
        click.echo("Attention : publish.base_url est vide dans sources.yaml. La copie statique construit ses liens "
                   "d'abonnement dans le navigateur, ne peut pas servir d'agenda composé ni de « Mon programme », et "
                   "ses codes d'intégration restent relatifs : indiquez l'adresse publique du service.", err=True)


@cli.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port d'écoute.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Processus gunicorn.")
@click.option("--no-refresh", is_flag=True, help="Ne pas actualiser les sources en tâche de fond.")
@click.option("--quiet", is_flag=True, help="Ne pas journaliser chaque requête.")
@click.option("--cache-mb", default=256, show_default=True, type=click.IntRange(0, 1 << 20),
              help="Mémoire gardée pour les agendas prêts à servir, par processus (Mo).")
def serve(config_path, host, port, workers, no_refresh, quiet, cache_mb):
    """Sert les agendas et la page en direct (gunicorn), en actualisant les sources périodiquement."""
    config, store = _open(config_path)
    try:
        ensure_published(config, store)
    except CalfeedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"calfeed sert {config.edition_name} sur http://{host}:{port}/ "
               f"({workers} processus ; actualisation {'désactivée' if no_refresh else 'toutes les %d min' % (config.fetch_interval.total_seconds() // 60)}). "
               "Ctrl+C pour arrêter.")
    run_server(config.path, host=host, port=port, workers=workers, refresh=not no_refresh, access_log=not quiet,
               cache_mb=cache_mb)


@cli.command()
@config_option
@click.option("--no-fetch", is_flag=True, help="Afficher l'état enregistré sans relire les sources.")
def check(config_path, no_fetch):
    """Valide sources.yaml, relit chaque source et affiche son état ; code de sortie 1 si une source échoue."""
    config, store = _open(config_path)
    try:
        if no_fetch:
            ensure_published(config, store)
        else:
            refresh_sources(config, store)
        status = status_context(config, store, load_programme(store))
    except CalfeedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{config.path} : configuration valide, {len(config.sources)} source(s), "
               f"{status['events']} événement(s) publiés.")
    rows = [("Source", "État", "Dernier succès", "Lus", "Publiés", "Rejetés", "Dernière erreur")]
    for s in status["sources"]:
        rows.append((s["id"], "OK" if s["ok"] else "ÉCHEC", s["last_success"] or "jamais", str(s["events_read"]),
                     str(s["events_published"]), str(len(s["rejected"])), s["last_error"] or "—"))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[6])
    for s in status["sources"]:
        for reason in s["rejected"]:
            click.echo(f"  {s['id']} — rejeté — {reason}")
        for warning in s["warnings"]:
            click.echo(f"  {s['id']} — avertissement — {warning}")
    if status["failing"]:
        click.echo(click.style(f"Source(s) en échec : {', '.join(status['failing'])}", fg="red"), err=True)
        sys.exit(1)


def main():
    cli(prog_name="calfeed")


if __name__ == "__main__":
    main()
