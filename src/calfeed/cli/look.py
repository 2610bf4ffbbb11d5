"""`calfeed diff`: what subscribers would see change if the sources were read now, feed by feed."""

import sys

import click

from ..rehearsal import format_changes, rehearse, unreadable
from .common import config_option, now, open_config
from .report import _safe as safe
from .words import FrenchGroup


@click.command(cls=FrenchGroup.command_class)
@config_option
def diff(config_path):
    """Montre, agenda par agenda, ce que les abonnés verraient changer si les sources étaient lues maintenant,
    sans rien publier ; code de sortie 0 si rien ne changerait, 1 sinon, 2 en cas d'erreur."""
    config, store = open_config(config_path)
    with rehearse(config, store, now=now()) as rehearsal:
        lines, total = format_changes(config, rehearsal)
        failing = [report.source_id for report in rehearsal.reports if unreadable(report)]
        held = any(report.held or not report.ok for report in rehearsal.reports)
    click.echo(safe("\n".join(lines)))
    if failing:
        click.echo(f"Erreur : source(s) illisible(s), comparaison incomplète : {', '.join(failing)}.", err=True)
        sys.exit(2)
    sys.exit(1 if total or held else 0)


diff.error_code = 2  # 1 says « something would change »: an error is 2 (cli.common.failure)
