"""The vocabulary of `sources.yaml`: the terms of each dimension of the vocabulary table (`categories:`,
`themes:`, `event_types:`… sections) and a source's default values (`category:`, `themes:`…), checked."""

from typing import Any

from .config_yaml import Mapping, Reader, closest_term, hint
from .taxonomy import DIMENSIONS, Edition, Taxonomy, Term, Vocabulary
from .text import slugify


def _vocabulary(r: Reader, root: Mapping, key: str) -> Vocabulary:
    """The vocabulary of section `key` (categories, themes…), each slug checked."""
    entries = r.mapping(root, key)
    terms = []
    for slug, entry in entries.items():
        if slugify(str(slug)) != str(slug):
            r.note(r.line(entries, slug), f"l'identifiant « {slug} » de « {key} » doit être en minuscules sans "
                                          f"accents ni espaces, par exemple « {slugify(str(slug))} ».")
        term = Mapping({"name": entry}) if isinstance(entry, str) else entry
        terms.append(Term(str(slug), r.text(term, "name", str(slug)), r.text(term, "description"),
                          tuple(label for label, _line in r.labels(term, "aliases"))))
    return Vocabulary(tuple(terms))


def read_taxonomy(r: Reader, root: Mapping, editions: tuple[Edition, ...]) -> Taxonomy:
    """The terms of each dimension whose sources.yaml section is given (or required: no default terms)."""
    configured = tuple((row.key, _vocabulary(r, root, row.section)) for row in DIMENSIONS
                       if row.section and (row.section in root or not row.terms))
    taxonomy = Taxonomy(configured=configured, editions=editions)
    for row in DIMENSIONS:
        if row.missing and not taxonomy.vocabulary(row.key).terms:
            r.note(r.line(root, row.section), f"section « {row.section}: » absente ou vide : ajoutez-la, avec au "
                                              "moins une valeur (voir le README).")
    return taxonomy


def source_defaults(r: Reader, entry: Mapping, source_id: str, taxonomy: Taxonomy) -> dict[str, Any]:
    """A source's default values of each dimension (`category:`, `themes:`…), checked against its terms: the
    Source's own fields, and `facets` for the others."""
    defaults: dict[str, Any] = {}
    facets = []
    for row in DIMENSIONS:
        vocabulary, values = taxonomy.vocabulary(row.key), r.labels(entry, row.source_key)
        for value, line in values:
            if value not in vocabulary:
                r.note(line, f"source « {source_id} » : {row.unknown} « {value} »"
                             f"{hint(closest_term(value, vocabulary))} {row.possible} : {', '.join(vocabulary.slugs)}.")
        text = r.text(entry, row.source_key)
        slugs = tuple(value for value, _line in values) if row.multiple else (text,) if text else ()
        if row.source_field:
            defaults[row.source_field] = slugs if row.multiple else "".join(slugs)
        elif slugs:
            facets.append((row.key, slugs))
    return {**defaults, "facets": tuple(facets)}
