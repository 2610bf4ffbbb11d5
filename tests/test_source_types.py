"""The registry of source types (calfeed.sources) is the one list: config validation, fetch, preview, the
starter sources.yaml and the README are read or written from it."""

import dataclasses
import importlib.util
import re

import pytest

from calfeed.cli import cli
from calfeed.config import load_config
from calfeed.config_sources import Source
from calfeed.errors import ConfigError
from calfeed.sources import COMMON_KEYS, FALLBACK_TYPE, SOURCE_TYPES, guess_type, source_keys, type_keys
from calfeed.sources.reference import readme_section, starter_section

from conftest import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("source_types", ROOT / "scripts" / "source_types.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_and_starter_are_written_from_the_registry():
    """Changing a type's keys, help or documentation without `python scripts/source_types.py` fails here."""
    assert _script().stale() == [], "lancez « python scripts/source_types.py »"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_section() in readme
    for kind in SOURCE_TYPES.values():
        assert f"| `{kind.name}` | {kind.summary} |" in readme and kind.doc in readme
    assert all(re.search(rf"^    {name}: ", readme_section(), re.M) for name in source_keys() if name != "id")
    assert starter_section().count("\n  - id: ") + starter_section().count("\n  # - id: ") == len(SOURCE_TYPES)


def test_the_check_says_which_file_is_stale(tmp_path, monkeypatch, capsys):
    script = _script()
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text(encoding="utf-8").replace("| `ics` |", "| `ical` |"),
                      encoding="utf-8")
    monkeypatch.setattr(script, "TARGETS", ((readme, *script.TARGETS[0][1:]),))
    assert script.main(["--check"]) == 1 and "python scripts/source_types.py" in capsys.readouterr().out
    assert script.main([]) == 0 and script.main(["--check"]) == 0
    assert "| `ics` |" in readme.read_text(encoding="utf-8")


def test_every_declared_key_is_a_field_of_source_and_every_type_is_documented():
    fields = {field.name for field in dataclasses.fields(Source)}
    for kind in SOURCE_TYPES.values():
        assert set(kind.keys) <= fields, kind.name
        assert not set(kind.keys) & set(COMMON_KEYS), kind.name
        assert kind.summary and kind.doc and f"type: {kind.name}" in kind.example
    # A key shared by several types is one declaration (one shape, one help text).
    assert SOURCE_TYPES["csv"].keys["columns"] is SOURCE_TYPES["xlsx"].keys["columns"]


def _source(tmp_path, project, text):
    (tmp_path / "x.csv").write_text("titre,date_debut\nA,18/11/2022\n", encoding="utf-8")
    path = project([{"id": "x", "path": "x.csv"}])
    path.write_text(path.read_text(encoding="utf-8").replace("- id: x\n", "- id: x\n" + text), encoding="utf-8")
    return path


def test_an_unknown_type_lists_the_registry(tmp_path, project):
    with pytest.raises(ConfigError) as error:
        load_config(_source(tmp_path, project, "  type: tableur\n"))
    assert f"type inconnu « tableur ». Types possibles : {', '.join(SOURCE_TYPES)}." in str(error.value)


def test_a_key_of_another_type_says_which_type_has_it(tmp_path, project):
    with pytest.raises(ConfigError) as error:
        load_config(_source(tmp_path, project, "  type: csv\n  sheet: Programme\n"))
    assert "« sheet » ne vaut que pour le type xlsx, pas pour csv" in str(error.value)
    with pytest.raises(ConfigError) as error:
        load_config(_source(tmp_path, project, "  type: json\n  preset: opnagenda\n"))
    assert "preset inconnu « opnagenda » ; vouliez-vous dire «\u00a0openagenda\u00a0»" in str(error.value)
    assert load_config(_source(tmp_path, project, "  type: xlsx\n  sheet: 2\n")).sources[0].sheet == "2"


def test_a_type_read_without_an_address_gets_its_default_one(tmp_path, project):
    config = load_config(project([{"id": "oa", "type": "openagenda", "agenda": "1"}]))
    assert config.sources[0].url == SOURCE_TYPES["openagenda"].default_url


@pytest.mark.parametrize(("head", "name", "kind"), [
    (b"\xef\xbb\xbfBEGIN:VCALENDAR\r\n", "agenda.txt", "ics"),
    (b"PK\x03\x04rest", "classeur", "xlsx"),
    (b'  [{"title": "A", "timings": []}]', "x.json", "openagenda"),
    (b'{"events": []}', "x", "json"),
    (b"titre;date_debut\n", "programme", FALLBACK_TYPE),
    (b"", "agenda.ical", "ics"),
])
def test_preview_guesses_a_file_type_from_the_registry(head, name, kind):
    assert guess_type(head, name) == kind


def test_preview_options_are_the_types_keys(runner):
    shown = runner.invoke(cli, ["preview", "--help"]).output
    assert f"Type de la source : {', '.join(SOURCE_TYPES)}" in " ".join(shown.split())
    for name, key, _owners in type_keys():
        assert (f"--{name.replace('_', '-')} " in shown) == (key.schema.get("type") != "object"), name
