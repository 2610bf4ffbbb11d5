"""The commands that end what a source published, on the team's word: accept a held state, retire a source."""

import sys

import click

from ..identity import orphan_sources
from ..publish import publish_events
from ..refresh import refresh_sources
from .common import config_option, now, open_config
from .report import _print_reports, _safe
from .words import Failure, FrenchGroup


@click.command(cls=FrenchGroup.command_class)
@config_option
@click.argument("sources", nargs=-1, required=True)
def accept(config_path, sources):
    """Accepte l'état actuel d'une source retenue (changement massif, fichier coupé, événements illisibles).

    Relit la source et publie ce qu'elle contient maintenant, sans rien demander (cron, scripts) : ses
    événements à venir absents sont annoncés comme annulés aux abonnés, et listés ici. À réserver aux
    changements voulus par l'organisateur."""
    config, store = open_config(config_path)
    reports = refresh_sources(config, store, now=now(), only=list(sources), accept=set(sources))
    click.echo(f"État accepté pour {len(reports)} source(s) :")
    _print_reports(reports, store)
    cancelled = sum(len(report.cancelled) for report in reports)
    click.echo(f"{cancelled} événement(s) annoncé(s) annulé(s) aux abonnés." if cancelled else
               "Aucun événement annoncé annulé.")
    if any(not r.ok for r in reports):
        sys.exit(1)


@click.command(cls=FrenchGroup.command_class)
@config_option
@click.argument("source_id")
def retire(config_path, source_id):
    """Retire une source enlevée de sources.yaml : annule ses événements à venir, garde les passés.

    Tant qu'elle n'est pas retirée, une source enlevée de sources.yaml laisse ses événements publiés tels
    quels (check et build le rappellent à chaque passage)."""
    config, store = open_config(config_path)
    if any(source.id == source_id for source in config.sources):
        raise Failure(f"la source « {source_id} » est encore dans {config.path.name} : enlevez-la d'abord du "
                      "fichier, puis relancez « calfeed retire ».")
    orphans = orphan_sources(config, store)
    if source_id not in orphans:
        known = ", ".join(orphans) or "aucune"
        raise Failure(f"aucun événement publié de la source « {source_id} » n'est à retirer (sources enlevées de "
                      f"{config.path.name} dont des événements restent publiés : {known}).")
    report = publish_events(config, store, now=now(), retire=[source_id])
    cancelled = [text for sid, text in report.cancelled if sid == source_id]
    click.echo(f"Source « {source_id} » retirée : {len(cancelled)} événement(s) à venir annoncé(s) annulé(s), "
               f"{orphans[source_id] - len(cancelled)} événement(s) passé(s) gardé(s) tels quels.")
    for text in cancelled:
        click.echo(f"  annoncé annulé — {_safe(text)}")
