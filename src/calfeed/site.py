"""The pages of the static build, rendered from the same templates and contexts as the live site."""

from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from .feeds import feed_catalogue, single_event
from .pages import (LEGAL_PAGES, Where, builder_context, embed_context, error_context, event_context, events_context,
                    feed_json_chunks, french_spacing, home_context, legal_context, personal_context)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("calfeed", "templates"), autoescape=select_autoescape(),
                      keep_trailing_newline=True)
    env.filters["fr"] = french_spacing
    return env


def static_files(folder=None, prefix: str = "static/"):
    """The site's own files (styles, scripts, the vendored DSFR, fonts, icons), as (path, bytes)."""
    folder = folder or resources.files("calfeed").joinpath("static")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from static_files(entry, f"{prefix}{entry.name}/")
        elif not entry.name.startswith("."):
            yield prefix + entry.name, entry.read_bytes()


def static_pages(config, programme, *, event_pages: bool = True):
    """Every page, JSON export and single-event file of the site, as (path in the feeds folder,
    bytes) pairs produced one at a time (a large programme is never held whole as pages)."""
    env = _environment()
    base = config.base_url

    def page(template, context):
        return env.get_template(template).render(**context).encode("utf-8")

    top = Where("", base, static=True)
    yield "index.html", page("index.html", home_context(config, programme, top))
    yield "constructeur.html", page("constructeur.html", builder_context(config, programme, top, {}))
    yield "evenements.html", page("evenements.html", events_context(config, programme, top, {}))
    yield "mon-programme.html", page("mon-programme.html", personal_context(config, programme, top, []))
    for name in LEGAL_PAGES:
        yield f"{name}.html", page("legal.html", legal_context(config, top, name))
    # Most static hosts answer a missing address with 404.html; its links are absolute from the site's root.
    yield "404.html", page("erreur.html", error_context(config, Where("/feeds/", base, True), "Page introuvable",
                                                        "Cette page n'existe pas. La liste des agendas est sur "
                                                        "la page d'accueil."))
    for feed in feed_catalogue(config, programme):
        stem = feed.path.removesuffix(".ics")
        depth = stem.count("/") + 1
        yield f"integrer/{stem}.html", page("integrer.html",
                                            embed_context(config, programme, Where("../" * depth, base, True), feed))
        yield f"{stem}.json", feed_json_chunks(config, programme, top, feed)
    yield from static_files()
    if event_pages:
        below = Where("../", base, True)
        for key, item in programme.by_key.items():
            yield f"evenements/{key}.html", page("evenement.html", event_context(config, programme, below, key))
            yield f"evenements/{key}.ics", single_event(config, item)
