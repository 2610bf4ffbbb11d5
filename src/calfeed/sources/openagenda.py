"""`type: openagenda`: an OpenAgenda agenda read page by page through its API v2 (or an export saved to disk)."""

import json
import os
import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from ..adapters.json import events_from_openagenda
from ..errors import SourceError
from .kind import Fetched, Get, Key, SourceType, TEXT

OPENAGENDA_API = "https://api.openagenda.com/v2"
OPENAGENDA_PAGE_SIZE = 300  # the largest page the API gives
OPENAGENDA_MAX_PAGES = 1000


def fetch_openagenda(source: Any, get: Get) -> Fetched:
    """Every event of an OpenAgenda agenda, page after page through the API's `after` cursor, as one JSON body
    {"events": [...]}. A failure on any page fails the whole fetch, so the last good snapshot stays.

    The API key is read from the environment variable the source names (`key_env`) and sent in a header:
    it never appears in an address, a message, the store or the logs.
    """
    if not source.agenda:
        raise SourceError(source.id, "indiquez l'identifiant de l'agenda OpenAgenda (« agenda: » dans sources.yaml).")
    if source.key_env and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", source.key_env):  # never echoed: it may be a key
        raise SourceError(source.id, "« key_env » doit être le nom d'une variable d'environnement en majuscules "
                                     "(par exemple OPENAGENDA_KEY), pas la clé elle-même.")
    headers = {"Accept": "application/json"}
    if source.key_env:
        key = os.environ.get(source.key_env, "").strip()
        if not key:
            raise SourceError(source.id, f"la variable d'environnement {source.key_env} (clé d'API OpenAgenda) "
                                         "est absente ou vide : définissez-la pour le service calfeed.")
        headers["key"] = key
    base = f"{(source.url or OPENAGENDA_API).rstrip('/')}/agendas/{quote(source.agenda, safe='')}/events"
    events: dict[str, Any] = {}
    after: list[Any] = []
    seen: set[str] = set()
    left, total = source.max_bytes, None
    for number in range(1, OPENAGENDA_MAX_PAGES + 1):
        query = urlencode([("size", OPENAGENDA_PAGE_SIZE), ("detailed", 1), *(("after[]", v) for v in after)])
        page = get(replace(source, url=f"{base}?{query}", max_bytes=left), headers, " (page de l'API OpenAgenda)")
        if page.body is None:
            raise SourceError(source.id, "l'API OpenAgenda a répondu 304 sans contenu.", http_status=304)
        left -= page.size
        batch, after, total = _openagenda_batch(source, page, number, events, total)
        if not batch or not after:
            break
        if repr(after) in seen:  # the same cursor again: the pages after it would never come
            raise SourceError(source.id, f"pagination de l'API OpenAgenda incohérente (la page {number} redonne un "
                                         "curseur déjà vu) : la dernière version lue reste publiée.")
        seen.add(repr(after))
    else:
        raise SourceError(source.id, f"l'API OpenAgenda renvoie plus de {OPENAGENDA_MAX_PAGES} pages : lecture "
                                     "arrêtée.")
    if total is not None and len(events) < total:  # read as is, the events not received would be cancelled
        raise SourceError(source.id, f"pagination de l'API OpenAgenda incomplète ({len(events)} événement(s) reçu(s) "
                                     f"sur {total} annoncé(s)) : la dernière version lue reste publiée.")
    body = json.dumps({"events": list(events.values())}, ensure_ascii=False, sort_keys=True).encode()
    return Fetched(body, 200)


def _openagenda_batch(source: Any, page: Fetched, number: int, events: dict[str, Any],
                      total: int | None) -> tuple[list[Any], list[Any], int | None]:
    """Page `number`'s events into `events` by uid (a later copy wins), its `after` cursor, the `total` given."""
    try:
        document = json.loads(page.body or b"")
        batch, after = document.get("events") or [], document.get("after") or []
        for position, event in enumerate(batch):
            events[str(event.get("uid")) if event.get("uid") is not None else f"{number}-{position}"] = event
    except (ValueError, AttributeError):
        raise SourceError(source.id, "réponse de l'API OpenAgenda illisible (JSON attendu) : vérifiez « url: » "
                                     "et « agenda: ».", http_status=page.status) from None
    return batch, after, document["total"] if isinstance(document.get("total"), int) else total


def _status_hint(source: Any, status: int) -> str | None:
    """What an error status of the API means for this source (None: the general message)."""
    hint = {401: f"la clé d'API est refusée : vérifiez la variable {source.key_env or '(key_env)'}",
            403: f"la clé d'API est refusée : vérifiez la variable {source.key_env or '(key_env)'}",
            404: f"l'agenda « {source.agenda} » est introuvable : vérifiez « agenda: »"}.get(status)
    return f"l'API OpenAgenda a répondu {status} : {hint}." if hint else None


def _is_openagenda(start: bytes) -> bool:
    return start[:1] in (b"{", b"[") and b'"timings"' in start


OPENAGENDA = SourceType(
    name="openagenda",
    summary="un agenda OpenAgenda (API v2, ou un export enregistré)",
    read=events_from_openagenda,
    keys={"agenda": Key(TEXT, "identifiant (uid) de l'agenda ; url: facultative (adresse de l'API)", '"12345678"'),
          "key_env": Key(TEXT, "NOM de la variable d'environnement qui contient la clé d'API", "OPENAGENDA_KEY")},
    location="optional",
    default_url=OPENAGENDA_API,
    accept="application/json",
    fetch=fetch_openagenda,
    status_hint=_status_hint,
    recognise=_is_openagenda,
    doc="""\
**Un agenda OpenAgenda.** Créez une clé d'API dans les paramètres de votre compte OpenAgenda, donnez-la au service
dans une variable d'environnement (`OPENAGENDA_KEY=…` dans l'unité systemd ou le fichier d'environnement), et
déclarez l'agenda par son identifiant (le nombre affiché dans les réglages de l'agenda) :

```yaml
  - id: agenda-arles
    type: openagenda
    agenda: "12345678"
    key_env: OPENAGENDA_KEY     # le nom de la variable, jamais la clé
    category: collectivites
```

calfeed lit toutes les pages de l'agenda (300 événements par page, en suivant le curseur `after`) ; si une page
échoue, toute la lecture échoue et les événements de la dernière lecture réussie restent publiés. La clé est
envoyée dans un en-tête : elle n'apparaît ni dans `sources.yaml`, ni dans la base, ni dans les journaux, ni sur
`/etat`. Un export OpenAgenda enregistré sur disque se lit avec `type: openagenda` et `path:` (ou avec
`type: json` et `preset: openagenda`). Un événement qu'OpenAgenda ne publie pas (`state` -1 refusé, 0 en attente
de modération, 1 prêt mais pas publié, que renvoie une clé d'administrateur) n'est jamais publié non plus.""",
    example="""\
  - id: agenda-openagenda        # un agenda OpenAgenda : ici un export enregistré ; en ligne, remplacez path: par
    type: openagenda             #   agenda: "12345678" et key_env: OPENAGENDA_KEY (le NOM de la variable qui
    path: exemples/openagenda-export.json   # contient la clé d'API, jamais la clé)
    category: labs
    timeout: 20
    max_bytes: 10485760""",
)
