"""`type: json`: a JSON list of events in calfeed's own schema, or OpenAgenda's with `preset: openagenda`."""

from ..adapters.json import events_from_json
from .kind import Key, SourceType, TEXT


def _is_plain_json(start: bytes) -> bool:
    return start[:1] in (b"{", b"[") and b'"timings"' not in start


JSON = SourceType(
    name="json",
    summary="une liste d'événements JSON (schéma de calfeed)",
    read=events_from_json,
    keys={"preset": Key(TEXT, "le schéma du JSON : calfeed (défaut) ou openagenda", "openagenda",
                        lambda value: "calfeed" if value is None else str(value), ("calfeed", "openagenda"))},
    recognise=_is_plain_json,
    suffixes=(".json",),
    accept="application/json, */*;q=0.5",
    doc="""\
**Un export JSON.** `type: json` lit une liste d'objets, ou `{"events": [...]}`, aux champs décrits dans « Champs
JSON » ; `preset: openagenda` lit un export OpenAgenda (comme `type: openagenda` avec `path:`).""",
    example="""\
  - id: evenements-json          # une liste JSON au schéma de calfeed
    type: json
    path: exemples/evenements.json
    preset: calfeed              # calfeed (défaut) ou openagenda
    themes: []                   # thèmes ajoutés à chaque événement
    allow_empty: false           # accepter qu'elle ne publie plus aucun événement
    max_drop: 0.3                # part des événements qu'elle peut perdre d'un coup sans être retenue""",
)
