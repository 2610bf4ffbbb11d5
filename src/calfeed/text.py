"""Small text helpers shared by the domain: slugs and accent-free matching keys."""

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


@lru_cache(maxsize=8192)  # labels repeat across thousands of events
def fold(text: str) -> str:
    """Lower-case `text` and strip its accents: « Écologie » → « ecologie »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=8192)
def slugify(text: str) -> str:
    """An URL-safe, accent-free slug: « Transition écologique » → « transition-ecologique »."""
    return _NON_ALNUM.sub("-", fold(text).replace("'", " ").replace("’", " ")).strip("-")


def split_list(value: str) -> list[str]:
    """Split a cell holding several labels (« a, b | c ; d ») into clean items."""
    return [part.strip() for part in re.split(r"[,;|]", value) if part.strip()]
