"""The pages of the static build, rendered from the same templates as the live site."""

from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from .pages import page_context


def _environment() -> Environment:
    return Environment(loader=PackageLoader("calfeed", "templates"), autoescape=select_autoescape(),
                       keep_trailing_newline=True)


def static_pages(config, programme) -> dict[str, bytes]:
    """index.html and its stylesheet, for the folder that also holds the feeds."""
    context = page_context(config, programme, config.base_url, lambda feed: len(programme.select(feed.filters)))
    context.update(static_prefix="static/", home_url="index.html", static=True)
    page = _environment().get_template("index.html").render(**context)
    stylesheet = resources.files("calfeed").joinpath("static/calfeed.css").read_bytes()
    return {"index.html": page.encode("utf-8"), "static/calfeed.css": stylesheet}
