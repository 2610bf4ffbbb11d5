"""`sources.yaml` read as YAML whose mappings and lists remember the line of each key and list item, and
the values read out of it with those lines: a mistake is reported where it is written."""

from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml

from .config_schema import closest, did_you_mean
from .errors import ConfigError
from .model import DEFAULT_ZONE
from .taxonomy import Vocabulary
from .text import slugify


class _LineLoader(yaml.SafeLoader):
    """A YAML loader whose mappings and lists remember the lines they and their entries start on."""


class Mapping(dict[Any, Any]):
    """A YAML mapping (keys and values as YAML gives them) that knows its line and each key's."""

    line = 0
    key_lines: dict[Any, int] = {}


class _Sequence(list[Any]):
    line = 0
    item_lines: dict[int, int] = {}


Params = ParamSpec("Params")
Result = TypeVar("Result")


class _DuplicateKey(yaml.MarkedYAMLError):
    """A key written twice in one mapping: YAML would silently keep the last one (a second `sources:` at the
    end of the file would drop every source of the first)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Mapping:
    mapping = Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, _value in node.value:
        try:
            key = loader.construct_object(key_node, deep=True)
            if key in mapping.key_lines:
                raise _DuplicateKey(problem=f"« {key} » est écrit deux fois (déjà ligne {mapping.key_lines[key]}) ; "
                                            "YAML ne garderait que le second : n'en gardez qu'un",
                                    problem_mark=key_node.start_mark)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        except TypeError:  # an unhashable key: construct_mapping has reported it already
            continue
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Sequence:
    sequence = _Sequence(loader.construct_sequence(node, deep=True))
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = {index: item.start_mark.line + 1 for index, item in enumerate(node.value)}
    return sequence


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """A date that does not exist (`2022-11-31`) stays text, for validation to report it with its line."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def read_document(path: Path) -> Any:
    """The parsed YAML of `path`, each mapping and list knowing its lines; ConfigError if unreadable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path} : fichier introuvable. Indiquez le bon chemin avec --config.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} : lecture impossible ({exc}). Enregistrez le fichier en UTF-8.") from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except _DuplicateKey as exc:
        line = f", ligne {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise ConfigError(f"{path}{line} : {exc.problem}.") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        said, at_start = next(((said, at_start) for start, said, at_start in YAML_PROBLEMS if problem.startswith(start)),
                              (f"YAML invalide ({problem}) : vérifiez l'indentation et les deux-points", False))
        # Some mistakes are noticed lines after they are made: point at the key or bracket that started them.
        mark = (at_start and getattr(exc, "context_mark", None)) or getattr(exc, "problem_mark", None)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where} : {said}.") from None


# PyYAML's problems (English) said in French: its message's start → (what to say, point at where it started).
YAML_PROBLEMS = (
    ("could not find expected ':'", "il manque les deux-points « : » après la clé", True),
    ("mapping values are not allowed here", "« : » inattendu : vérifiez l'indentation de cette ligne, ou mettez "
                                            "entre guillemets une valeur qui contient « : »", False),
    ("found character '\\t'", "tabulation : indentez avec des espaces, jamais avec des tabulations", False),
    ("found unexpected end of stream", "guillemet jamais fermé", True),
    ("expected ',' or ']'", "crochet « [ » jamais fermé", True),
    ("expected ',' or '}'", "accolade « { » jamais fermée", True),
    ("expected <block end>", "indentation incohérente : alignez cette ligne sur celles de sa section", False),
    ("found undefined alias", "une valeur qui commence par « * » doit être mise entre guillemets", False),
    ("found character '@'", "une valeur qui commence par « @ » doit être mise entre guillemets", False),
)


class _Stopped(ConfigError):
    """A part of the file that cannot be read further; its mistake is recorded in the Reader."""


class Reader:
    """Reads values out of the parsed YAML, once the schema has checked their shapes, and reports the
    mistakes only code can see (unknown vocabulary, a path outside the folder…) with file and line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[tuple[int, str]] = []  # (line, message): every mistake found, reported together

    def note(self, mapping: object, message: str) -> None:
        """Record a mistake at the line of `mapping` (or at line `mapping` when given a number: see `line`)
        and go on reading: the operator gets every mistake of the file in one run."""
        line = mapping if isinstance(mapping, int) else getattr(mapping, "line", 0)
        self.problems.append((line, message))

    def fail(self, mapping: object, message: str) -> NoReturn:
        """Record a mistake after which this part of the file cannot be read further, and stop reading it."""
        self.note(mapping, message)
        raise _Stopped(self.report())

    def report(self) -> str:
        """Every mistake recorded, first line first, each once."""
        lines = []
        for line, message in sorted(dict.fromkeys(self.problems), key=lambda problem: problem[0]):
            lines.append(f"{self.path}, ligne {line} : {message}" if line else
                         message if message.startswith(str(self.path)) else f"{self.path} : {message}")
        return "\n".join(lines)

    def attempt(self, read: Callable[Params, Result], *args: Params.args,
                **kwargs: Params.kwargs) -> Result | None:
        """`read(*args)`, or None when it stopped on a mistake: the rest of the file is still read. A value
        of the wrong shape, already reported by the schema, may make `read` fail in its own way: ignored then."""
        try:
            return read(*args, **kwargs)
        except _Stopped:  # recorded already
            return None
        except ConfigError as exc:  # said by a reader of its own (a site: or alerts: value…)
            self.problems.append((0, str(exc)))
            return None
        except (TypeError, ValueError, AttributeError, KeyError):
            if not self.problems:
                raise
            return None

    @staticmethod
    def mapping(parent: dict[Any, Any], key: Any) -> Mapping:
        return parent.get(key) or Mapping()

    @staticmethod
    def text(parent: dict[Any, Any], key: Any, default: str = "") -> str:
        value = parent.get(key)
        return default if value is None else str(value)

    @staticmethod
    def line(parent: dict[Any, Any], key: Any = None, index: int | None = None) -> int:
        """The line of `key` in `parent` (of its item `index` when it holds a list), else of `parent`: a
        wrong value is reported where it is written, not where its section starts."""
        line = getattr(parent, "line", 0)
        if key is not None:
            line = getattr(parent, "key_lines", {}).get(key, line)
        if index is not None:
            line = getattr(parent.get(key), "item_lines", {}).get(index, line)
        return line

    def labels(self, parent: dict[Any, Any], key: Any) -> list[tuple[str, int]]:
        """The values of `key` (`[a, b]` or a single `a`), each with its line."""
        value = parent.get(key)
        if value is None or value == "":
            return []
        if not isinstance(value, list):
            return [(str(value), self.line(parent, key))]
        return [(str(item), self.line(parent, key, index)) for index, item in enumerate(value)]

    def timezone(self, parent: Mapping, key: str, default: str) -> str:
        name = self.text(parent, key, default)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.note(self.line(parent, key), f"fuseau horaire inconnu « {name} »"
                                              f"{hint(closest(name, sorted(available_timezones())))} "
                                              f"Utilisez un nom IANA, par exemple {DEFAULT_ZONE} ou Indian/Reunion.")
        return name


def hint(suggestion: str | None) -> str:
    """The end of « … inconnu « x » » : a suggestion when there is one, else a full stop."""
    return f" ; {did_you_mean(suggestion)}" if suggestion else "."


def closest_term(value: str, vocabulary: Vocabulary) -> str | None:
    """The slug of the term whose slug, name or alias `value` is closest to (accents and case aside)."""
    targets: dict[str, str] = {}
    for term in vocabulary.terms:
        for label in (term.slug, term.name, *term.aliases):
            targets.setdefault(slugify(label), term.slug)
    return closest(slugify(value), targets)
