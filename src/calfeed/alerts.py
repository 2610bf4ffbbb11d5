"""Tell the team when a source has failed or been held for longer than `alerts: after_minutes`, once,
and again when it recovers; nothing while it stays failed. By e-mail (SMTP) and/or a webhook POST.

Each source's alert state lives in the store (meta `alert:<id>`): every process that refreshes shares it.
The webhook is posted with urllib: `fetch` owns requests for the sources, with their deadlines and rules."""

import datetime as dt
import json
import logging
import os
import smtplib
import urllib.request
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from .store import Store

log = logging.getLogger(__name__)
TIMEOUT = 10  # seconds for the SMTP server or the webhook to answer


def _trouble(state) -> str:
    """Why the source needs a person ("" if it does not): its last error, or its held events."""
    if state.last_error:
        return state.last_error
    if state.held:
        return f"{len(state.held)} événement(s) publiés retenus à leur dernière version valide : {state.held[0]}"
    return ""


def check_alerts(config, store: Store, now: dt.datetime, send=None) -> list[tuple[str, str, str]]:
    """Send what is due now: ("panne" or "retour", source id, why) for each source told about."""
    settings = config.alerts
    if not settings.enabled:
        return []
    due, records, before = [], {}, {}
    for source in config.sources:
        state = store.source_state(source.id)
        record = before[source.id] = json.loads(store.get_meta(f"alert:{source.id}") or "null")
        why = _trouble(state) if state.last_attempt else ""
        if why:
            record = record or {"since": now.isoformat(), "sent": False}
            if not record["sent"] and now - dt.datetime.fromisoformat(record["since"]) >= settings.after:
                due.append(("panne", source.id, why))
                record = {**record, "sent": True}
        elif record:
            if record["sent"]:
                due.append(("retour", source.id, ""))
            record = None
        records[source.id] = record
    if due:
        try:
            (send or send_alert)(settings, compose(config, due, records, now))
        except (OSError, smtplib.SMTPException) as exc:  # told at the next refresh
            log.warning("alerte non envoyée (%s) : nouvel essai à la prochaine actualisation", exc)
            return []
    changed = {source_id: record for source_id, record in records.items() if record != before[source_id]}
    if changed:
        with store.transaction() as db:
            for source_id, record in changed.items():
                store.set_meta(db, f"alert:{source_id}", json.dumps(record) if record else "")
    return due


def compose(config, due, records, now: dt.datetime) -> dict:
    """The alert's subject and text, in French."""
    zone = ZoneInfo(config.timezone)
    failing = [source_id for kind, source_id, _ in due if kind == "panne"]
    back = [source_id for kind, source_id, _ in due if kind == "retour"]
    parts = ([f"{len(failing)} source(s) en échec : {', '.join(failing)}"] if failing else []) + \
        ([f"de retour : {', '.join(back)}"] if back else [])
    lines = []
    for kind, source_id, why in due:
        if kind == "panne":
            since = dt.datetime.fromisoformat(records[source_id]["since"]).astimezone(zone)
            lines += [f"• {source_id} : en échec depuis le {since:%d/%m/%Y à %H:%M}.", f"  {why}",
                      "  Son dernier état valide reste publié. Voir « calfeed check » ; si le changement est "
                      f"voulu : « calfeed accept {source_id} ».", ""]
        else:
            lines += [f"• {source_id} : fonctionne de nouveau ; ses événements sont à jour.", ""]
    lines.append(f"— calfeed, {config.edition_name} ({now.astimezone(zone):%d/%m/%Y %H:%M})")
    return {"subject": f"[calfeed] {' ; '.join(parts)}", "text": "\n".join(lines), "date": now,
            "events": [{"evenement": kind, "source": source_id, "raison": why} for kind, source_id, why in due]}


def send_alert(settings, alert: dict):
    """Send `alert` by e-mail and/or to the webhook, as configured."""
    if settings.email:
        message = EmailMessage()
        message["Subject"], message["From"] = alert["subject"], settings.sender
        message["To"], message["Date"] = ", ".join(settings.email), format_datetime(alert["date"])
        message.set_content(alert["text"])
        kind = smtplib.SMTP_SSL if settings.smtp_tls == "ssl" else smtplib.SMTP
        port = settings.smtp_port or {"ssl": 465, "starttls": 587}.get(settings.smtp_tls, 25)
        with kind(settings.smtp_host, port, timeout=TIMEOUT) as smtp:
            if settings.smtp_tls == "starttls":
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, os.environ.get(settings.smtp_password_env, ""))
            smtp.send_message(message)
    if settings.webhook:
        body = json.dumps({"text": f"{alert['subject']}\n\n{alert['text']}", "alertes": alert["events"]},
                          ensure_ascii=False).encode()
        request = urllib.request.Request(settings.webhook, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # raises on a 4xx or 5xx
            response.read()
