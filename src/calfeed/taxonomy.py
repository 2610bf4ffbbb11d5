"""The vocabulary table: each dimension events are classified by (organiser category, theme, region,
format, type…), its terms, and how sources, sources.yaml, feeds and pages name it; free labels from
sources mapped to canonical slugs.

Config validation, the adapters, the model's storage, selections, feed catalogue, pages, JSON and the
page's script all read `DIMENSIONS`: adding a dimension is one row (and its terms).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol

from .text import slugify


@dataclass(frozen=True)
class Term:
    """One canonical value (a category, a theme, a type…) and the labels that mean it."""

    slug: str
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()


# Fixed vocabularies: they belong to the event model, not to one edition.
FORMATS = (
    Term("presentiel", "Présentiel", aliases=("sur place", "en presentiel", "physique", "offline")),
    Term("en-ligne", "En ligne", aliases=("distanciel", "webinaire", "visio", "online", "a distance")),
    Term("hybride", "Hybride", aliases=("mixte", "presentiel et en ligne", "mixed")),
)
# A hybrid event can be attended both ways, so it belongs to both formats.
FORMAT_ACCEPTS = (("presentiel", ("presentiel", "hybride")), ("en-ligne", ("en-ligne", "hybride")),
                  ("hybride", ("hybride",)))

REGIONS = (
    Term("auvergne-rhone-alpes", "Auvergne-Rhône-Alpes", aliases=("ara",)),
    Term("bourgogne-franche-comte", "Bourgogne-Franche-Comté", aliases=("bfc",)),
    Term("bretagne", "Bretagne"),
    Term("centre-val-de-loire", "Centre-Val de Loire", aliases=("centre",)),
    Term("corse", "Corse"),
    Term("grand-est", "Grand Est"),
    Term("hauts-de-france", "Hauts-de-France"),
    Term("ile-de-france", "Île-de-France", aliases=("idf",)),
    Term("normandie", "Normandie"),
    Term("nouvelle-aquitaine", "Nouvelle-Aquitaine"),
    Term("occitanie", "Occitanie"),
    Term("pays-de-la-loire", "Pays de la Loire"),
    Term("provence-alpes-cote-d-azur", "Provence-Alpes-Côte d'Azur", aliases=("paca", "sud", "region sud")),
    Term("guadeloupe", "Guadeloupe"),
    Term("martinique", "Martinique"),
    Term("guyane", "Guyane"),
    Term("la-reunion", "La Réunion", aliases=("reunion",)),
    Term("mayotte", "Mayotte"),
)

# Whom an event is for (the default terms of « publics: » in sources.yaml): the parties the programme
# brings together (« usagers, agents, élus, société civile »), and those its events address by trade.
PUBLICS = (
    Term("agents-publics", "Agents publics", aliases=("agents", "agent public", "fonctionnaires", "agents de l'Etat",
                                                      "agents territoriaux", "agents hospitaliers")),
    Term("encadrants", "Encadrants et managers", aliases=("managers", "manager", "cadres", "encadrement",
                                                          "dirigeants", "cadres dirigeants")),
    Term("rh", "Professionnels RH", aliases=("RH", "ressources humaines", "DRH", "gestionnaires RH")),
    Term("elus", "Élus", aliases=("élu", "élue", "élus locaux")),
    Term("usagers", "Usagers et grand public", aliases=("usagers", "usager", "citoyens", "grand public",
                                                        "tout public", "tous publics", "habitants")),
    Term("societe-civile", "Société civile", aliases=("partenaires", "entreprises", "acteurs locaux")),
    Term("etudiants", "Étudiants et chercheurs", aliases=("étudiants", "étudiant", "chercheurs", "élèves")),
)

STATUSES = (
    Term("confirme", "Confirmé", aliases=("confirmed", "programme", "scheduled", "prevu", "ok")),
    Term("annule", "Annulé", aliases=("cancelled", "canceled", "annulee")),
    Term("reporte", "Reporté", aliases=("postponed", "reportee", "rescheduled", "deplace")),
    Term("en-ligne", "Passé en ligne", aliases=("moved online", "passe en ligne", "passee en ligne")),
    Term("complet", "Complet", aliases=("full", "complete")),
)


@dataclass(frozen=True)
class Vocabulary:
    """A set of terms with an accent- and case-insensitive index of their labels."""

    terms: tuple[Term, ...]
    _index: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _names: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for term in self.terms:
            for label in (term.slug, term.name, *term.aliases):
                index.setdefault(slugify(label), term.slug)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_names", {term.slug: term.name for term in self.terms})

    def lookup(self, label: str) -> str | None:
        """The slug that `label` means, or None if it is not part of the vocabulary."""
        return self._index.get(slugify(label))

    def name(self, slug: str) -> str:
        return self._names.get(slug, slug)

    @property
    def slugs(self) -> list[str]:
        return [term.slug for term in self.terms]

    def __contains__(self, slug: object) -> bool:
        return any(term.slug == slug for term in self.terms)


class Classified(Protocol):
    """What a row reads its values from beyond the named fields: an Event, or a Source's defaults."""

    @property
    def facets(self) -> tuple[tuple[str, tuple[str, ...]], ...]: ...


@dataclass(frozen=True)
class Dimension:
    """One row of the vocabulary table: a way events are classified, selected and shown."""

    key: str  # its name in addresses (?theme=…), in sources.yaml's `filter:`, in the pages and their script
    legend: str  # how pages and descriptions name it
    event_field: str  # the Event attribute holding its slugs ("location.region"); "" for an entry of Event.facets
    json_field: str  # where calfeed's JSON (read and exported) carries it ("lieu.region": inside an object)
    column: str  # the spreadsheet column (as `columns:` names it), also read under `headers`
    headers: tuple[str, ...] = ()
    short: str = ""  # how a sentence listing criteria names it, when not its legend in lower case
    source_key: str = ""  # a source's default values in sources.yaml (`themes: [a, b]`)
    source_field: str = ""  # the config.Source attribute holding them; "" for an entry of Source.facets
    source_help: str = ""  # what that key means, and a value, for the README reference and the starter
    source_example: str = ""
    section: str = ""  # the sources.yaml section listing its terms; "" when `terms` are fixed
    terms: tuple[Term, ...] = ()  # its fixed terms, or the default ones when sources.yaml has no `section`
    multiple: bool = False  # an event may have several values
    missing: str = ""  # rejection of an event without a value (then an unknown value rejects it too)
    unknown: str = ""  # how messages name an unknown value (« thème inconnu »), agreed with its noun
    possible: str = ""  # « Thèmes possibles »
    accepts: tuple[tuple[str, tuple[str, ...]], ...] = ()  # value → the event values it selects, if not only itself
    in_categories: bool = False  # its names are in each VEVENT's CATEGORIES
    group: str = ""  # a feed per value (/feeds/<key>/<slug>.ics), listed on the home page under this heading
    feed_text: str = ""  # that feed's description after « Les événements du <series> » ({name}, {lower}, {detail})
    # The event's values (slugs) of this dimension, as the event holds them: a function made once per row,
    # as selections index every event by every dimension (100 000 events × each row).
    slugs: Callable[[Classified], tuple[str, ...]] = field(init=False, repr=False, compare=False, hash=False)
    # A source's default values (sources.yaml) for the events of this dimension, read alike.
    defaults: Callable[[Classified], tuple[str, ...]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "slugs", _reader(self.key, self.event_field, self.multiple))
        object.__setattr__(self, "defaults", _reader(self.key, self.source_field, self.multiple))

    @property
    def noun(self) -> str:
        return self.short or self.legend.lower()

    @property
    def attribute(self) -> str:
        """The Event constructor's argument holding it ("region" for location.region; "facets")."""
        return self.event_field.rpartition(".")[2] if self.event_field else "facets"


def _reader(key: str, event_field: str, multiple: bool) -> Callable[[Classified], tuple[str, ...]]:
    """How a row reads the slugs of an event (or a source's defaults): a tuple field, a text field ("" for none),
    or an entry of its facets."""
    if not event_field:
        return lambda event: next((values for name, values in event.facets if name == key), ()) \
            if event.facets else ()
    read = attrgetter(event_field)
    if multiple:
        return read
    return lambda event: (value,) if (value := read(event)) else ()


# The vocabulary table. Its order is that of the builder's boxes, of the page's data and of addresses.
DIMENSIONS = (
    Dimension("categorie", "Organisateur", event_field="category", json_field="categorie", column="categorie",
              headers=("categorie_d_organisateur",), source_key="category", source_field="category",
              source_help="catégorie par défaut des événements", source_example="etat",
              section="categories", unknown="catégorie inconnue", possible="Catégories possibles",
              missing="catégorie manquante : ajoutez-la à l'événement ou une « category » à la source",
              in_categories=True, group="Par organisateur", feed_text="organisés par : {name}{detail}."),
    Dimension("theme", "Thème", event_field="themes", json_field="themes", column="themes",
              headers=("theme", "thematiques", "thematique"), source_key="themes", source_field="themes",
              source_help="thèmes ajoutés à chaque événement", source_example="[]",
              section="themes", multiple=True, unknown="thème inconnu", possible="Thèmes possibles",
              in_categories=True, group="Par thème", feed_text="sur le thème : {name}."),
    Dimension("region", "Région", event_field="location.region", json_field="lieu.region", column="region",
              source_key="region", source_field="region", terms=REGIONS, unknown="région inconnue",
              source_help="région par défaut", source_example="ile-de-france",
              possible="Régions possibles", group="Par région", feed_text="en région {name}."),
    Dimension("format", "Format", event_field="attendance", json_field="format", column="format", headers=("modalite",),
              source_key="format", source_field="attendance", terms=FORMATS, accepts=FORMAT_ACCEPTS,
              source_help="format par défaut : presentiel, en-ligne, hybride", source_example="hybride",
              unknown="format inconnu", possible="Formats possibles", group="Par format",
              feed_text="au format : {lower}."),
    Dimension("type", "Type d'événement", short="type", event_field="event_type", json_field="type", column="type",
              headers=("type_d_evenement",), source_key="event_type", source_field="event_type",
              source_help="type par défaut", source_example="table-ronde",
              section="event_types", unknown="type inconnu", possible="Types possibles"),
    Dimension("public", "Public visé", event_field="", json_field="public", column="public",
              headers=("public_vise", "publics", "public_cible", "cible", "pour_qui"), source_key="public",
              source_help="public visé ajouté à chaque événement", source_example="[agents-publics]",
              section="publics", terms=PUBLICS, multiple=True, unknown="public inconnu",
              possible="Publics possibles", in_categories=True),
)
DIMENSION = {row.key: row for row in DIMENSIONS}


@dataclass(frozen=True)
class Edition:
    """One edition of the programme (« Mois de l'innovation publique 2022 »), with its dates if known."""

    name: str
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class Taxonomy:
    """The terms of every dimension (DIMENSIONS), and the statuses and editions events are labelled with."""

    # dimension key → the terms sources.yaml lists in its section (the row's own terms otherwise)
    configured: tuple[tuple[str, Vocabulary], ...] = ()
    statuses: Vocabulary = Vocabulary(STATUSES)
    # The editions configured (current first, then the next and past ones): each event is labelled with
    # its own, so a calendar's name need not carry a year.
    editions: tuple[Edition, ...] = ()
    # Every dimension's terms, in its repr: what renders an event (render.render_key) includes the default terms.
    _vocabularies: dict[str, Vocabulary] = field(init=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        configured = dict(self.configured)
        object.__setattr__(self, "_vocabularies", {
            row.key: configured[row.key] if row.key in configured else Vocabulary(row.terms) for row in DIMENSIONS})

    def vocabulary(self, key: str) -> Vocabulary:
        """The terms of the dimension `key` (a row of DIMENSIONS)."""
        return self._vocabularies[key]

    def names(self, row: Dimension, event: Classified) -> list[str]:
        """The names of an event's values of the dimension `row`."""
        vocabulary = self._vocabularies[row.key]
        return [vocabulary.name(slug) for slug in row.slugs(event)]

    # Shorthands for code about one dimension in particular (a place's region, a source's category).
    @property
    def categories(self) -> Vocabulary:
        return self.vocabulary("categorie")

    @property
    def themes(self) -> Vocabulary:
        return self.vocabulary("theme")

    @property
    def regions(self) -> Vocabulary:
        return self.vocabulary("region")

    @property
    def formats(self) -> Vocabulary:
        return self.vocabulary("format")

    @property
    def event_types(self) -> Vocabulary:
        return self.vocabulary("type")

    def edition_of(self, day: dt.date) -> Edition | None:
        """The edition an event of `day` belongs to: the last one begun by then (the first one for an
        earlier event; the current one when no edition is dated)."""
        dated = sorted(((edition.start, edition) for edition in self.editions if edition.start),
                       key=lambda pair: pair[0])
        if not dated:
            return self.editions[0] if self.editions else None
        begun = [edition for start, edition in dated if start <= day]
        return begun[-1] if begun else dated[0][1]

    def edition_label(self, start: dt.date | dt.datetime) -> str:
        """The name of the edition of an event starting at `start` (« Mois de l'innovation publique 2022 »)."""
        edition = self.edition_of(start.date() if isinstance(start, dt.datetime) else start)
        return edition.name if edition else ""

    def classify(self, labels: list[str]) -> dict[str, list[str]]:
        """Sort free labels (ICS CATEGORIES, OpenAgenda keywords) into each dimension's slugs, by its key."""
        found: dict[str, list[str]] = {row.key: [] for row in DIMENSIONS}
        for label in labels:
            for key, slugs in found.items():
                slug = self._vocabularies[key].lookup(label)
                if slug and slug not in slugs:
                    slugs.append(slug)
        return found
