"""Vocabulary of the programme: map free labels from sources to canonical slugs."""

import datetime as dt
from dataclasses import dataclass, field

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

    def __post_init__(self):
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

    def __contains__(self, slug: str) -> bool:
        return any(term.slug == slug for term in self.terms)


@dataclass(frozen=True)
class Edition:
    """One edition of the programme (« Mois de l'innovation publique 2022 »), with its dates if known."""

    name: str
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class Taxonomy:
    """Every vocabulary an event is classified with."""

    categories: Vocabulary
    themes: Vocabulary
    event_types: Vocabulary
    formats: Vocabulary = Vocabulary(FORMATS)
    regions: Vocabulary = Vocabulary(REGIONS)
    statuses: Vocabulary = Vocabulary(STATUSES)
    # The editions configured (current first, then the next and past ones): each event is labelled with
    # its own, so a calendar's name need not carry a year.
    editions: tuple[Edition, ...] = ()

    def edition_of(self, day: dt.date) -> Edition | None:
        """The edition an event of `day` belongs to: the last one begun by then (the first one for an
        earlier event; the current one when no edition is dated)."""
        dated = sorted((edition for edition in self.editions if edition.start), key=lambda edition: edition.start)
        if not dated:
            return self.editions[0] if self.editions else None
        begun = [edition for edition in dated if edition.start <= day]
        return begun[-1] if begun else dated[0]

    def edition_label(self, start: dt.date | dt.datetime) -> str:
        """The name of the edition of an event starting at `start` (« Mois de l'innovation publique 2022 »)."""
        edition = self.edition_of(start.date() if isinstance(start, dt.datetime) else start)
        return edition.name if edition else ""

    def classify(self, labels: list[str]) -> dict[str, list[str]]:
        """Sort free labels (ICS CATEGORIES, OpenAgenda keywords) into known vocabularies."""
        found: dict[str, list[str]] = {"category": [], "themes": [], "event_type": [], "format": [], "region": []}
        for label in labels:
            for key, vocabulary in (
                ("category", self.categories),
                ("themes", self.themes),
                ("event_type", self.event_types),
                ("format", self.formats),
                ("region", self.regions),
            ):
                slug = vocabulary.lookup(label)
                if slug and slug not in found[key]:
                    found[key].append(slug)
        return found
