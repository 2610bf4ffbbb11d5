"""What the commands print about a refresh, and what they remind the team of at each run (legal fields,
removed sources, feed sizes): French text for the operator's terminal."""

import re

import click

from ..identity import orphan_sources
from ..site_info import missing_legal


# C0 and C1 controls (ESC, CSI…) from a source would drive the operator's terminal: show them as \xNN.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _safe(text) -> str:
    """Text from a source, made harmless to print in a terminal."""
    return _CONTROLS.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


def _print_reports(reports, store):
    for report in reports:
        if report.ok and report.held:
            mark = click.style("À VOIR", fg="yellow")
            detail = f"{report.events} événement(s), {len(report.held)} retenu(s) à leur dernière version valide"
        elif report.ok:
            mark = click.style("OK", fg="green")
            detail = f"{report.events} événement(s)"
            if report.rejected:
                detail += f", {len(report.rejected)} rejeté(s)"
            if not report.changed:
                detail += " (inchangée)"
        else:
            mark = click.style("ÉCHEC", fg="red")
            detail = report.error
            if store.source_state(report.source_id).last_success is None:
                detail += " — aucun événement de cette source n'est publié"
            elif "reste publié" not in report.error:  # a held source's message already says its snapshot stays
                detail += " — les derniers événements valides restent publiés"
        click.echo(f"  {mark}  {report.source_id} : {_safe(detail)}")
        if report.detail:
            click.echo(f"        reçu — {_safe(report.detail)}")
        for line in report.rejected[:10]:
            click.echo(f"        rejeté — {_safe(line)}")
        if len(report.rejected) > 10:
            click.echo(f"        … et {len(report.rejected) - 10} autre(s) (voir « calfeed check »)")
        for line in report.held:
            click.echo(f"        retenu — {_safe(line)}")
        for line in report.notes:
            click.echo(f"        même événement — {_safe(line)}")
        for line in report.cancelled:
            click.echo(f"        annoncé annulé — {_safe(line)}")


def _warn_orphans(config, store):
    """Each run, the sources removed from sources.yaml whose events stay published, and how to end them."""
    for source_id, count in orphan_sources(config, store).items():
        click.echo(f"Attention : la source « {_safe(source_id)} » n'est plus dans {config.path.name} ; ses {count} "
                   "événement(s) restent publiés tels quels (rien n'est annoncé annulé). Si elle est remplacée par une "
                   "autre source, rien à faire ; pour la retirer : « calfeed retire "
                   f"{_safe(source_id)} » (annule ses événements à venir, garde les passés).", err=True)


def _warn_legal(config):
    missing = missing_legal(config.site)
    if missing:
        click.echo(f"Attention : section « site: » de {config.path.name}, à renseigner avant de publier : "
                   f"{', '.join(missing)}. Sans eux, les pages Contact, Mentions légales et la déclaration "
                   "d'accessibilité ne peuvent dire à qui s'adresser.", err=True)


def _warn_large(large):
    for path, size in large:
        click.echo(f"Attention : l'agenda {path} pèse {size / 1024 / 1024:.1f} Mo ; vers 1 Mo, Google Agenda cesse de "
                   "lire un agenda abonné. Réglez « keep_past_days: » de la section « publish: » pour ne garder "
                   "qu'un temps les événements passés.", err=True)
