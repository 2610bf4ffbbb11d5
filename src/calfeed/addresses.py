"""Which address names which feed: the feed catalogue, ad-hoc and personal selections, and the
addresses under /feeds/, resolved for the live app and listed for the static build (one set of rules,
so a link works the same on both)."""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from .errors import SelectionError
from .selection import CRITERIA, PUBLIC_CRITERIA, Programme, event_key, vocabulary_of
from .taxonomy import DIMENSIONS

MAX_ALARM_MINUTES = 7 * 24 * 60
# A feed's import variant (no calendar name nor refresh hint): a file of this folder, or this query pair.
IMPORT_FOLDER, IMPORT = "import/", ("usage", "import")
# How a composed calendar is named from its ticked labels (`parse_selection`; the page script reads these).
SELECTION_OR, SELECTION_AND, SELECTION_ALL = " ou ", " · ", "tout le programme"
# « Mon programme »: its page and feed, the parameter holding the chosen events, and what an event key is.
PERSONAL = {"page": "mon-programme.html", "feed": "mon-programme.ics", "parameter": "e", "key": "[0-9a-f]{12}"}
_PERSONAL_KEY = re.compile(PERSONAL["key"])


@dataclass(frozen=True)
class Notice:
    """An event added to a feed whose address is no longer the one to use: where to subscribe now."""

    uid: str
    title: str
    text: str
    day: dt.date  # the notice is shown from this day, for a week
    url: str = ""


@dataclass(frozen=True)
class Feed:
    path: str  # relative to /feeds/: "categorie/labs.ics", or "selection.ics?…" for an ad-hoc feed
    group: str  # tous, categorie, theme, selection, region, format, personnalise, personnel, evenement
    slug: str
    name: str
    description: str
    filters: dict = field(default_factory=dict, hash=False, compare=False)
    label: str = ""  # what tells the feed apart, first in its name (« Services de l'État »)
    notice: Notice | None = None  # a retired feed's, or every feed's once the service has moved

    @property
    def static(self) -> bool:
        return "?" not in self.path


@dataclass(frozen=True)
class FeedRequest:
    """What an address under /feeds/ asks for: a feed, its variant, its reminder."""

    feed: Feed
    subscription: bool = True  # False: the import variant (no calendar name nor refresh hint)
    alarm: int = 0  # minutes before each event, 0 for none
    # A request keys the live service's caches, looked up several times per HTTP request: its hash is
    # computed once (a dataclass's own hash goes through every field of the feed each time).
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_hash", hash((self.feed, self.subscription, self.alarm)))

    def __hash__(self) -> int:
        return self._hash


class AddressError(SelectionError):
    """An address under /feeds/ that names no feed (404) or asks for it wrongly (400)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# Folders of /feeds/ and the names of its fixed files: a named selection from sources.yaml, published
# as /feeds/<name>.ics (and .json, integrer/<name>.html), may take none of them.
FOLDERS = (*(row.key for row in DIMENSIONS if row.group), "import", "integrer", "evenements", "static")
FIXED_FEEDS = ("tous", "selection", "mon-programme")
PAGES = ("index", "constructeur", "evenements", "mon-programme", "accessibilite", "mentions-legales", "contact",
         "plan-du-site")
RESERVED_NAMES = frozenset((*FOLDERS, *FIXED_FEEDS, *PAGES))


def free_selection_name(name: str, taken) -> str:
    """`name`, else `name-2`, `name-3`…: the first that neither an address of the site nor another
    selection of the file uses, so that the name suggested for a selection is one it may take."""
    base = name or "ma-selection"
    candidate, number = base, 1
    while candidate in RESERVED_NAMES or candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def feed_name(config, label: str) -> str:
    """A calendar's name: what tells it apart first (Outlook's pane cuts long names), then the programme's
    name without a year, so that it stays right edition after edition (a client takes it once)."""
    return f"{label} — {config.editions.series}"


def feed_catalogue(config, programme=None) -> list[Feed]:
    """Every predefined feed, in the order the page lists them; each one is published even while it has
    no event, so that subscriptions survive the months between editions. (`programme` is accepted for
    callers that have one; the catalogue does not depend on it.)"""
    series, taxonomy = config.editions.series, config.taxonomy

    def feed(path, group, slug, label, description, filters=None):
        return Feed(path, group, slug, feed_name(config, label), description, dict(filters or {}), label)

    def per_value(configured: bool) -> list[Feed]:  # a feed per value of each dimension that has them
        return [feed(f"{row.key}/{term.slug}.ics", row.key, term.slug, term.name, f"Les événements du {series} "
                     + row.feed_text.format(name=term.name, lower=term.name.lower(),
                                            detail=f" ({term.description})" if term.description else ""),
                     {row.key: (term.slug,)})
                for row in DIMENSIONS if row.group and bool(row.section) == configured
                for term in taxonomy.vocabulary(row.key).terms]

    # The edition's own vocabularies (sources.yaml), its selections, then the fixed ones (regions, formats).
    return [feed("tous.ics", "tous", "tous", "Tout le programme", f"Tous les événements du {series}."),
            *per_value(True),
            *(feed(f"{selection.slug}.ics", "selection", selection.slug, selection.name,
                   selection.description or f"{selection.name} ({series}).", selection.filters)
              for selection in config.selections),
            *per_value(False)]


def catalogue(config, programme) -> dict[str, Feed]:
    """Every address that answers a feed, by path, computed once per programme version: the configured
    feeds, the old addresses sources.yaml declares renamed (they answer the new feed), and every address
    once published and since retired (its last name and selection, with a notice saying where to go)."""
    found = programme.memo.get("catalogue")
    if found is None:
        found = {feed.path: feed for feed in feed_catalogue(config)}
        for old, new in config.moves.renamed:
            found[old] = replace(found[new], path=old)
        for remembered in programme.feeds:
            if remembered.path not in found:
                found[remembered.path] = retired_feed(config, remembered)
        found = {path: _moved(config, feed) for path, feed in found.items()}
        programme.memo["catalogue"] = found
    return found


def retired_feed(config, remembered) -> Feed:
    """A feed the team no longer publishes, as its subscribers know it: its name, its selection (nothing
    if a criterion no longer exists), and a notice from the day it left sources.yaml."""
    filters = dict(remembered.filters)
    if any(key not in CRITERIA for key in filters):
        filters = {"evenement": ()}  # selects nothing, rather than everything
    home = f"{config.base_url}/" if config.base_url else "la page des agendas du service"
    notice = Notice(f"avis-{event_key(remembered.path)}@calfeed", "Cet agenda n'est plus mis à jour",
                    f"L'agenda « {remembered.name} » n'est plus publié : ses événements passés restent ici, "
                    f"les prochains n'y seront pas ajoutés. Pour les recevoir, abonnez-vous à un autre agenda "
                    f"du {config.editions.series} : {home}",
                    dt.date.fromisoformat(remembered.last_configured[:10]), config.base_url)
    return Feed(remembered.path, remembered.group, remembered.slug, remembered.name, remembered.description,
                filters, remembered.label, notice)


def moved_notice(config, feed: Feed) -> Notice:
    """The notice every feed carries once the service has moved to `publish.moved_to`."""
    address = f"{config.moves.to}/feeds/{feed.path}"
    return Notice(f"demenagement-{event_key(feed.path)}@calfeed", "Cet agenda change d'adresse",
                  f"L'agenda « {feed.name} » est désormais publié à l'adresse {address} : abonnez-vous à "
                  "cette adresse (et supprimez cet abonnement-ci) pour continuer à recevoir ses événements.",
                  config.moves.on, address)


def _moved(config, feed: Feed) -> Feed:
    return replace(feed, notice=moved_notice(config, feed)) if config.moves.to else feed


def static_feeds(config, programme) -> list[tuple[str, FeedRequest]]:
    """Every feed file of the static tree, as (path under the feeds folder, request): both variants of
    every address that answers a feed (`catalogue`)."""
    return [(prefix + feed.path, FeedRequest(feed, subscription=subscription))
            for feed in catalogue(config, programme).values()
            for prefix, subscription in (("", True), (IMPORT_FOLDER, False))]


def import_path(path: str) -> str:
    """The import variant of the feed at `path` (relative to /feeds/): in the import folder, or, for an
    address with a query (answered on request, never a file), the same address asking for it."""
    return f"{path}&{urlencode([IMPORT])}" if "?" in path else IMPORT_FOLDER + path


def parse_selection(config, params) -> Feed:
    """An ad-hoc feed from query parameters (a mapping of name → list of values).

    Values are matched like source labels (accents and case ignored); an unknown parameter or
    value raises SelectionError naming the valid ones.
    """
    filters: dict[str, tuple[str, ...]] = {}
    for key, values in params.items():
        if key not in PUBLIC_CRITERIA:
            raise SelectionError(f"paramètre inconnu « {key} ». Paramètres possibles : "
                                 f"{', '.join(PUBLIC_CRITERIA)} (et usage, rappel).")
        vocabulary = vocabulary_of(config.taxonomy, key)
        slugs = []
        for raw in values:
            for value in (v for v in raw.split(",") if v.strip()):
                slug = vocabulary.lookup(value)
                if slug is None:
                    raise SelectionError(f"valeur inconnue « {value} » pour « {key} ». Valeurs possibles : "
                                         f"{', '.join(vocabulary.slugs)}.")
                if slug not in slugs:
                    slugs.append(slug)
        if slugs:
            filters[key] = tuple(sorted(slugs))
    parts = [SELECTION_OR.join(vocabulary_of(config.taxonomy, key).name(s) for s in filters[key])
             for key in PUBLIC_CRITERIA if key in filters]
    label = SELECTION_AND.join(parts) or SELECTION_ALL
    query = urlencode([(key, slug) for key in PUBLIC_CRITERIA for slug in filters.get(key, ())])
    return Feed(f"selection.ics?{query}" if query else "selection.ics", "personnalise", "selection",
                feed_name(config, f"Sélection : {label}"),
                f"Sélection personnalisée du {config.editions.series} : {label}.", filters, f"Sélection : {label}")


def personal_keys(values: Iterable[str]) -> tuple[str, ...]:
    """The event keys of « Mon programme » from the `e` parameter's values (comma-separated, repeatable)."""
    keys = {k for value in values for k in value.split(",")}
    return tuple(sorted(k for k in keys if _PERSONAL_KEY.fullmatch(k)))


def personal_page(keys: Iterable[str]) -> str:
    """The page of « Mon programme » holding `keys` (valid ones, sorted), relative to the feeds folder."""
    keys = personal_keys(keys)
    return PERSONAL["page"] + (f"?{PERSONAL['parameter']}={','.join(keys)}" if keys else "")


def personal_feed(config, keys) -> Feed:
    """« Mon programme »: the events an agent ticked, by their keys; the address holds the choice."""
    keys = personal_keys(keys)
    return Feed(PERSONAL["feed"] + "?" + urlencode({PERSONAL["parameter"]: ",".join(keys)}), "personnel", "mon-programme",
                feed_name(config, "Mon programme"),
                f"Les événements du {config.editions.series} que j'ai choisis.", {"evenement": keys}, "Mon programme")


def event_feed(item) -> Feed:
    """One event alone, to add to one's own calendar."""
    key = event_key(item.event.uid)
    return Feed(f"evenements/{key}.ics", "evenement", key, item.event.title, item.event.title,
                {"evenement": (key,)}, item.event.title)


def resolve_address(config, programme: Programme, path: str, args: dict[str, list[str]]) -> FeedRequest:
    """The feed that /feeds/<path>?<args> asks for (path ends in .ics); AddressError if none or wrong.

    `args` maps each query parameter to its values. The static tree writes the same addresses
    (`static_feeds`), so a link works the same on both.
    """
    subscription = True
    if path.startswith(IMPORT_FOLDER):
        subscription, path = False, path.removeprefix(IMPORT_FOLDER)
    params = {key: list(values) for key, values in args.items()}
    usage = params.pop(IMPORT[0], ["abonnement"])[-1]
    if usage not in ("abonnement", IMPORT[1]):
        raise AddressError(400, "« usage » vaut « abonnement » (par défaut) ou « import ».")
    subscription = subscription and usage != IMPORT[1]
    alarm = _alarm(params.pop("rappel", ["0"])[-1])
    if path == "selection.ics":
        try:
            return FeedRequest(_moved(config, parse_selection(config, params)), subscription, alarm)
        except SelectionError as exc:
            raise AddressError(400, str(exc)) from None
    if path == "mon-programme.ics":
        values = params.pop("e", [])
        if params:
            raise AddressError(400, "Un programme personnel ne prend que le paramètre « e ».")
        return FeedRequest(_moved(config, personal_feed(config, values)), subscription, alarm)
    if path.startswith("evenements/"):
        item = programme.by_key.get(path.removeprefix("evenements/").removesuffix(".ics"))
        if item is None or params:
            raise AddressError(404, "Cet événement n'est pas (ou plus) au programme.")
        return FeedRequest(event_feed(item), False, alarm)  # to add to one's own calendar: no calendar of its own
    chosen = catalogue(config, programme).get(path)
    if chosen is None:
        raise AddressError(404, f"Aucun agenda à l'adresse /feeds/{path}. La liste des agendas est sur la page "
                                "d'accueil.")
    if params:
        raise AddressError(400, "Les filtres (categorie, theme…) ne s'appliquent qu'à /feeds/selection.ics.")
    return FeedRequest(chosen, subscription, alarm)


def _alarm(text: str) -> int:
    # isdecimal, not isdigit: « ² » is a digit to Python but not a number of minutes.
    if not (text.isascii() and text.isdecimal()) or int(text) > MAX_ALARM_MINUTES:
        raise AddressError(400, f"« rappel » est un nombre de minutes entre 0 et {MAX_ALARM_MINUTES}.")
    return int(text)
