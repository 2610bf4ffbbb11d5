"""What the page script is given as data, so that it keeps no copy of a rule: the sentences it writes
(their French forms by count, already spaced), the addresses it builds (« Mon programme », the import
variant, composed selections, the clients' links) and, per event, what the pages filter and show (its
values by criterion, its search text already folded, its title and date as the pages write them)."""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from markupsafe import Markup

from .addresses import IMPORT, IMPORT_FOLDER, PERSONAL, SELECTION_ALL, SELECTION_AND, SELECTION_OR, parse_selection
from .links import clients_data
from .selection import BUILDER_CRITERIA, CRITERIA, criteria_data, event_key
from .text import fold
from .views import french_spacing, plural, script_json, when

EVENTS_FILE = "evenements.json"  # beside evenements.html, in the feeds folder (a reserved name: addresses.PAGES)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, values: dict) -> str:
    """`template` with each {name} of `values` replaced, in one pass (the page script fills the same way)."""
    return _PLACEHOLDER.sub(lambda found: str(values[found[1]]) if found[1] in values else found[0], template)


@dataclass(frozen=True)
class Counted:
    """A sentence about a number of events; `views.plural` chooses its form ({n} is the number)."""

    one: str
    many: str
    zero: str = ""  # said instead for 0 when French says it otherwise (« Aucun événement ne… »)

    def form(self, count: int) -> str:
        return french_spacing(self.zero if count == 0 and self.zero else plural(count, self.one, self.many))

    def say(self, count: int, **values) -> str:
        return fill(self.form(count), {"n": count, **values})

    def forms(self) -> dict[str, str]:
        """For the script: the forms of 0 and 1, and that of any other number; it picks, it never decides."""
        return {"0": self.form(0), "1": self.form(1), "n": self.form(2)}


def _chosen(before: str, after: str) -> Counted:
    return Counted(f"{before}{{n}} événement choisi{after}", f"{before}{{n}} événements choisis{after}")


# Every sentence with a number that the pages write and the script rewrites as the agent ticks.
PHRASES = {
    "choisis": _chosen("", ""),
    "barre": _chosen("Mon programme : ", "."),
    "garde": _chosen("", ". Votre choix est gardé par ce navigateur et dans l'adresse de cette page."),
    "dans": _chosen("Cet événement est dans votre programme (", ")."),
    "hors": _chosen("Cet événement n'est pas dans votre programme (", ")."),
    "ajoute": _chosen("Ajouté à votre programme : {titre}. ", "."),
    "retire": _chosen("Retiré de votre programme : {titre}. ", "."),
    "correspondent": Counted("{n} événement correspond à ces critères.", "{n} événements correspondent à ces critères.",
                             "Aucun événement ne correspond encore à ces critères."),
    "evenements": Counted("{n} événement", "{n} événements"),
    "liste": Counted("{n} événement sur {total}.", "{n} événements sur {total}."),
    "inconnus": Counted("{n} événement de cette adresse n'est plus au programme.",
                        "{n} événements de cette adresse ne sont plus au programme."),
    "sans": Counted("Sans « {label} » : {n} événement", "Sans « {label} » : {n} événements"),
}


# Those the script says (the others only the pages), by page: each page gives its script those it says there.
SCRIPT_PHRASES = {"": ("barre",), "evenement": ("dans", "hors"), "constructeur": ("correspondent", "sans"),
                  "evenements": ("liste", "ajoute", "retire"), "programme": ("garde", "ajoute", "retire")}


def say(name: str, count: int, **values) -> str:
    """A sentence of `PHRASES` for `count` (a template global: the pages and the script say it alike)."""
    return PHRASES[name].say(count, **values)


# The script folds what the agent types character by character: lower case, NFKD, then it drops these
# marks. Where that differs from `text.fold` (casefold: « ß » → « ss », « ς » → « σ »; marks outside this
# block), for the alphabets of the programme's texts, it takes the character's Python fold from this table.
FOLD_MARKS = "[\u0300-\u036f]"
_FOLD_SCOPE = (range(0x20, 0x590), range(0x1E00, 0x2070), range(0xFB00, 0xFB50), range(0xFF00, 0xFFF0))


@cache
def fold_exceptions() -> dict[str, str]:
    def folded_as_script(text: str) -> str:
        return re.sub(FOLD_MARKS, "", unicodedata.normalize("NFKD", text.lower()))
    return {c: fold(c) for scope in _FOLD_SCOPE for c in map(chr, scope) if fold(c) != folded_as_script(c)}


def search_text(event) -> str:
    """What the event list's word search reads of an event, folded (`text.fold`)."""
    return fold(" ".join((event.title, event.description, event.organiser, event.location.city)))


def _naming(config, keys: tuple[str, ...]) -> dict:
    """How a composed calendar is named (`addresses.parse_selection`), as text and as the page shows it."""
    prefix, _, suffix = parse_selection(config, {}).name.partition(SELECTION_ALL)
    words = {"prefix": prefix, "suffix": suffix, "all": SELECTION_ALL, "or": SELECTION_OR, "and": SELECTION_AND}
    spaced = {key: {term.slug: french_spacing(term.name) for term in config.taxonomy.vocabulary(key).terms
                    if french_spacing(term.name) != term.name} for key in keys}
    return {"texte": words, "page": {key: french_spacing(word) for key, word in words.items()},
            "libelles": {key: labels for key, labels in spaced.items() if labels}}


@cache
def _every_page(page: str) -> dict:
    return {"phrases": {name: PHRASES[name].forms() for name in SCRIPT_PHRASES[""] + SCRIPT_PHRASES.get(page, ())},
            "clients": clients_data(), "programme": PERSONAL, "import": {"dossier": IMPORT_FOLDER, "paire": list(IMPORT)},
            "evenements": EVENTS_FILE}


def page_data(config, page: str = "", criteria: tuple[str, ...] = ()) -> Markup:
    """The `calfeed-data` block of `page` (a key of SCRIPT_PHRASES); the `criteria` a page filters by (builder,
    event list), with their table."""
    data = _every_page(page)
    if criteria:
        data = {**data, "criteres": criteria_data(config.taxonomy, criteria), "nom": _naming(config, criteria)}
    return script_json(data)


def events_data(programme, zone: str) -> bytes:
    """`EVENTS_FILE`: every published event as the script filters and lists it, once per programme version;
    `zone` is the programme's (publish.timezone)."""
    found = programme.memo.get(EVENTS_FILE)
    if found is None:
        events = [{"cle": event_key(item.event.uid), "page": f"evenements/{event_key(item.event.uid)}.html",
                   "titre": french_spacing(item.event.title), "quand": french_spacing(when(item.event, zone)),
                   "texte": search_text(item.event),
                   "valeurs": {key: list(CRITERIA[key].values(item.event)) for key in BUILDER_CRITERIA}}
                  for item in programme.items]
        found = programme.memo[EVENTS_FILE] = json.dumps(
            {"pliage": {"marques": FOLD_MARKS, "exceptions": fold_exceptions()}, "evenements": events},
            ensure_ascii=False).encode("utf-8")
    return found
