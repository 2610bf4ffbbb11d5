"""How long browsers and shared caches may keep each kind of answer (Cache-Control): the one place that
decides it, for the live app (web/), the static tree sent by `calfeed publish` (upload) and the deploy
kit's nginx and Apache files (init), as security.py does for the security headers."""

import datetime as dt
from pathlib import PurePosixPath

FEED = "feed"  # an .ics feed or its .json export
PAGE = "page"  # an HTML page, error pages included
ASSET = "asset"  # styles, scripts, fonts, images: they change only with calfeed's version
PRIVATE = "private"  # the state now (/etat.json, request counts): never kept by anyone

ASSET_MAX_AGE = 86400  # a day: an upgrade of calfeed reaches every visitor within it

FEED_SUFFIXES = (".ics", ".json")


def live_cache_control(kind: str, refresh: dt.timedelta | None = None) -> str:
    """Cache-Control of an answer of the live app. A feed may be kept for one refresh interval (it carries
    ETag and Last-Modified: once stale it is asked again with them and answered 304). A page carries no
    validator and may hold links built from the declared proxy's address: a shared cache asks for it again
    every time rather than serve one visitor's copy to another. The live app's assets are revalidated
    (werkzeug answers their ETag) so that a page never runs the script of another calfeed version. The
    state of the sources is never kept."""
    if kind == FEED:
        if refresh is None:
            raise ValueError("a feed is kept for the refresh interval: pass it")
        return f"public, max-age={int(refresh.total_seconds())}"
    if kind in (PAGE, ASSET):
        return "no-cache"
    if kind == PRIVATE:
        return "no-store"
    raise ValueError(f"unknown kind of answer: {kind}")


def static_cache_control(kind: str, refresh: dt.timedelta) -> str:
    """Cache-Control of a file of the static tree (`calfeed build`), as `calfeed publish` and the deploy
    kit's web servers send it. Its pages change only when the feeds do (their links are absolute from
    publish.base_url, never from a request): they are kept as long as the feeds."""
    if kind in (FEED, PAGE):
        return f"public, max-age={int(refresh.total_seconds())}"
    if kind == ASSET:
        return f"public, max-age={ASSET_MAX_AGE}"
    raise ValueError(f"no {kind} answer in the static tree")


def kind_of_file(relative: str) -> str:
    """The kind of answer a file of the static tree is, from its name."""
    suffix = PurePosixPath(relative).suffix
    return FEED if suffix in FEED_SUFFIXES else PAGE if suffix == ".html" else ASSET


def deploy_policies(refresh: dt.timedelta) -> dict[str, str]:
    """The policies as the deploy kit's @PLACEHOLDERS@: the feeds and pages of /feeds/, its assets."""
    return {"CACHE_AGENDAS": static_cache_control(FEED, refresh),
            "CACHE_FICHIERS": static_cache_control(ASSET, refresh)}
