"""`sources.yaml` is validated strictly: an unknown key or an impossible value is an error naming the
file, the line and the fix, never accepted silently and never a traceback."""

import re

import pytest

from calfeed.cli import cli
from calfeed.addresses import RESERVED_NAMES
from calfeed.config import load_config
from calfeed.errors import ConfigError

BASE = """\
edition:
  name: Essai
  start: 2022-11-02
  end: 2022-11-30
sources:
  - id: ditp
    type: ics
    path: a.ics
    category: labs
categories:
  labs: Labs
  collectivites: Collectivités territoriales
themes:
  donnees-numerique: Données et numérique
  transition-ecologique: {name: Transition écologique, aliases: [écologie]}
"""
NBSP, NNBSP = "\u00a0", "\u202f"


def suggested(word) -> str:
    """The suggestion in French typography: « vouliez-vous dire « word » ? » with its no-break spaces."""
    return f"vouliez-vous dire «{NBSP}{word}{NBSP}»{NNBSP}?"


def write(tmp_path, text):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path, text) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def line_of(text, needle) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_base_document_is_valid(tmp_path):
    config = load_config(write(tmp_path, BASE))
    assert [s.id for s in config.sources] == ["ditp"]


def test_organizer_for_organiser_names_the_line_and_the_right_key(tmp_path):
    text = BASE.replace("    category: labs\n", "    category: labs\n    organizer: DITP\n")
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, 'organizer')} : organizer : clé inconnue" in message
    assert suggested("organiser") in message


def test_categroy_typo_in_a_source(tmp_path):
    text = BASE.replace("    category: labs\n", "    categroy: labs\n")
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, 'categroy')} : categroy : clé inconnue dans « sources[ditp] »" in message
    assert suggested("category") in message


@pytest.mark.parametrize("before, after, wrong, right", [
    ("edition:\n", "editon:\n", "editon", "edition"),                                   # a section
    ("  start: 2022-11-02\n", "  begin: 2022-11-02\n", "begin", None),                  # a key with no close match
    ("  labs: Labs\n", "  labs: {name: Labs, alias: [lab]}\n", "alias", "aliases"),     # a vocabulary entry
    ("categories:\n", "publish:\n  grace_day: 3\ncategories:\n", "grace_day", "grace_days"),
])
def test_unknown_keys_anywhere(tmp_path, before, after, wrong, right):
    text = BASE.replace(before, after)
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, wrong)} : {wrong} : clé inconnue" in message
    if right:
        assert suggested(right) in message
    else:  # no guess: the valid keys are listed instead
        assert "clés possibles" in message and "start" in message


def test_unknown_key_in_a_named_selection(tmp_path):
    text = BASE + "selections:\n  ditp:\n    name: DITP\n    filtre: {organisateur: [DITP]}\n"
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, 'filtre')} : filtre : clé inconnue dans « selections.ditp » ; " \
           f"{suggested('filter')}" in message


def test_impossible_date_is_an_error_with_its_line(tmp_path):
    text = BASE.replace("end: 2022-11-30", "end: 2022-11-31")
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, 'end:')} : « edition.end » doit être une date AAAA-MM-JJ qui existe " \
           "(lu : « 2022-11-31 »)" in message


def test_impossible_date_through_the_cli_is_no_traceback(runner, tmp_path):
    path = write(tmp_path, BASE.replace("end: 2022-11-30", "end: 2022-11-31"))
    result = runner.invoke(cli, ["check", "--config", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "2022-11-31" in result.output


@pytest.mark.parametrize("key_line, expected", [
    ("    allow_empty: oui\n", "« sources[ditp].allow_empty » doit être true ou false (lu : « oui »)"),
    ("    organiser: yes\n", "« sources[ditp].organiser » doit être un texte ou un nombre (lu : true) "
                           "(mettez-la entre guillemets)"),
    ("    timeout: -3\n", "« sources[ditp].timeout » doit être un nombre supérieur à 0 (lu : -3)"),
    ("    max_drop: 1.5\n", "« sources[ditp].max_drop » doit être un nombre inférieur ou égal à 1 (lu : 1.5)"),
    ("    themes: {a: b}\n", "« sources[ditp].themes » doit être une liste, par exemple [a, b] ou un texte"),
])
def test_wrong_types_are_errors(tmp_path, key_line, expected):
    text = BASE.replace("    category: labs\n", "    category: labs\n" + key_line)
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, key_line.strip())} : {expected}" in message


def test_every_mistake_is_reported_at_once_in_line_order(tmp_path):
    text = BASE.replace("end: 2022-11-30", "end: 2022-02-30").replace("    category: labs\n",
                                                                     "    categroy: labs\n    organizer: X\n")
    lines = error_of(tmp_path, text).splitlines()
    assert len(lines) == 3
    assert [int(line.split("ligne ")[1].split(" ")[0]) for line in lines] == \
           [line_of(text, "end:"), line_of(text, "categroy"), line_of(text, "organizer")]



def test_an_impossible_date_hides_no_vocabulary_mistake(tmp_path):
    """The edition's impossible end is reported, and the unknown category and key after it too, in one run."""
    text = BASE.replace("end: 2022-11-30", "end: 2022-11-31").replace("    category: labs\n",
                                                                     "    category: labz\n    organizer: X\n", 1)
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, 'end:')} : « edition.end »" in message
    assert f"ligne {line_of(text, 'category: labz')} : source" in message and "catégorie inconnue « labz »" in message
    assert f"ligne {line_of(text, 'organizer')} : organizer : clé inconnue" in message

@pytest.mark.parametrize("name", ["tous", "mon-programme", "selection"])
def test_reserved_selection_names(tmp_path, name):
    assert name in RESERVED_NAMES
    text = BASE + f"selections:\n  {name}:\n    name: X\n    filter: {{categorie: [labs]}}\n"
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, name + ':')} : sélection « {name} » : ce nom est déjà celui d'une adresse du site" in message


def test_the_shipped_configuration_is_valid(bundled):
    config = load_config(bundled)
    assert {s.id for s in config.sources} == {"ditp-tables-rondes", "programme-2022"}


def test_a_bad_source_id_is_quoted_in_french(tmp_path):
    message = error_of(tmp_path, BASE.replace("id: ditp", "id: Tables Rondes", 1))
    assert "en minuscules sans espaces (lu : « Tables Rondes »)" in message


@pytest.mark.parametrize("addition, key", [
    # a second `sources:` written at the end of the file would silently drop every source of the first
    ("sources:\n  - id: nouvelle\n    type: ics\n    path: nouvelle.ics\n", "sources"),
])
def test_a_key_written_twice_is_an_error_with_its_lines(tmp_path, addition, key):
    text = BASE + addition
    message = error_of(tmp_path, text)
    first = line_of(text, f"{key}:")
    assert f"ligne {text.count(chr(10), 0, text.rindex(key + ':')) + 1} : « {key} » est écrit deux fois " \
           f"(déjà ligne {first})" in message


def test_a_source_key_written_twice_is_an_error(tmp_path):
    text = BASE.replace("    type: ics\n", "    type: ics\n    type: csv\n", 1)
    message = error_of(tmp_path, text)
    assert "« type » est écrit deux fois" in message and "n'en gardez qu'un" in message


@pytest.mark.parametrize("text, line, said", [
    ("edition:\n  name: x\n  start 2022-11-02\nsources: [\n", 3, "il manque les deux-points « : » après la clé"),
    ("edition:\n  name: x\n   start: 2022-11-02\n", 3, "« : » inattendu : vérifiez l'indentation de cette ligne"),
    ("edition:\n\tname: x\n", 2, "tabulation : indentez avec des espaces"),
    ("edition:\n  name: \"Mois de l'innovation\n", 2, "guillemet jamais fermé"),
    ("themes: [a, b\n", 1, "crochet « [ » jamais fermé"),
])
def test_yaml_syntax_mistakes_are_said_in_french_at_their_line(tmp_path, text, line, said):
    message = error_of(tmp_path, text)
    assert f", ligne {line}, colonne" in message and f" : {said}" in message, message


SELECTION = """\
selections:
  ditp:
    name: DITP
    description: Les rendez-vous de la DITP
    filter:
      organisateur: [DITP]
      source: [ditp]
      categorie: [labs]
"""


@pytest.mark.parametrize("before, after, needle, said", [
    # a source's defaults, checked against the vocabularies: the line of the key, or of the list item
    ("    category: labs\n", "    category: colectivites\n", "colectivites",
     "source « ditp » : catégorie inconnue « colectivites »"),
    ("    category: labs\n", "    category: labs\n    themes:\n      - donnees-numerique\n      - ecolgie\n",
     "- ecolgie", "source « ditp » : thème inconnu « ecolgie »"),
    ("    category: labs\n", "    category: labs\n    themes: [donnees-numerique, ecolgie]\n",
     "ecolgie", "source « ditp » : thème inconnu « ecolgie »"),
    ("    category: labs\n", "    category: labs\n    region: ile-de-franc\n    timezone: Europe/Paris\n",
     "ile-de-franc", "source « ditp » : région inconnue « ile-de-franc »"),
    ("    category: labs\n", "    category: labs\n    format: en-lign\n", "en-lign",
     "source « ditp » : format inconnu « en-lign »"),
    # values config checks itself: type, preset, time zone, address, path, id
    ("    type: ics\n", "    type: icss\n", "icss", "source « ditp » : type inconnu « icss »"),
    ("    category: labs\n", "    category: labs\n    preset: opnagenda\n", "opnagenda",
     "source « ditp » : « preset » ne vaut que pour le type json, pas pour ics"),
    ("    category: labs\n", "    category: labs\n    timezone: Europe/Pari\n", "Europe/Pari",
     "fuseau horaire inconnu « Europe/Pari »"),
    ("    path: a.ics\n", "    url: ftp://exemple.fr/a.ics\n", "ftp:", "l'adresse « ftp://exemple.fr/a.ics »"),
    ("    path: a.ics\n", "    path: ../a.ics\n", "../a.ics", "le chemin « ../a.ics » sort du dossier"),
    ("categories:\n", "  - type: ics\n    id: ditp\n    path: b.ics\ncategories:\n", "    id: ditp",
     "l'id de source « ditp » est déjà utilisé"),
    ("edition:\n", "publish:\n  refresh_minutes: 30\n  timezone: Europe/Pariss\nedition:\n", "Pariss",
     "fuseau horaire inconnu « Europe/Pariss »"),
    ("  labs: Labs\n", "  labs: Labs\n  Associations: Associations\n", "Associations:",
     "l'identifiant « Associations » de « categories »"),
    ("edition:\n", "publish:\n  grace_days: 3\n  reference_time: 2022-13-01\nedition:\n", "2022-13-01",
     "« publish.reference_time » doit être une date"),
])
def test_a_bad_value_is_reported_at_its_own_line(tmp_path, before, after, needle, said):
    text = BASE.replace(before, after, 1)
    assert text != BASE
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, needle)} : " in message and said in message, message


@pytest.mark.parametrize("before, after, needle, said", [
    ("      categorie: [labs]\n", "      categorie: [colectivites]\n", "colectivites",
     "sélection « ditp » : valeur inconnue « colectivites » pour « categorie »"),
    ("      categorie: [labs]\n", "      categorie:\n        - labs\n        - colectivites\n", "- colectivites",
     "sélection « ditp » : valeur inconnue « colectivites » pour « categorie »"),
    ("      categorie: [labs]\n", "      categorie: [labs]\n      couleur: [bleu]\n", "couleur",
     "sélection « ditp » : critère inconnu « couleur »"),
    ("      source: [ditp]\n", "      source: [dtip]\n", "dtip", "sélection « ditp » : source inconnue « dtip »"),
    ("    filter:\n      organisateur: [DITP]\n      source: [ditp]\n      categorie: [labs]\n", "    filter: {}\n", "filter:",
     "sélection « ditp » : « filter: » est vide"),
])
def test_a_bad_filter_value_is_reported_at_its_own_line(tmp_path, before, after, needle, said):
    text = (BASE + SELECTION).replace(before, after, 1)
    assert text != BASE + SELECTION
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, needle)} : " in message and said in message, message


def test_the_new_users_misspelt_category_in_the_shipped_file(bundled):
    """The trial that found it: a misspelt category in the shipped file, and in its selection's filter."""
    shipped = bundled.read_text(encoding="utf-8")
    text = shipped.replace("    category: etat\n", "    category: colectivites\n", 1)
    bundled.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bundled)
    assert f"{bundled}, ligne {line_of(text, 'category: colectivites')} : " in str(caught.value)
    text = shipped.replace("      type: [table-ronde]\n", "      type: [table-ronde]\n      categorie: [colectivites]\n")
    bundled.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bundled)
    assert f"{bundled}, ligne {line_of(text, 'categorie: [colectivites]')} : " in str(caught.value)


@pytest.mark.parametrize("before, after, wrong, right, possible", [
    ("    category: labs\n", "    category: colectivites\n", "catégorie inconnue « colectivites »", "collectivites",
     "Catégories possibles : labs, collectivites"),
    ("    category: labs\n", "    category: Collectivités\n", "catégorie inconnue « Collectivités »", "collectivites",
     "Catégories possibles : labs, collectivites"),  # the name written for the slug
    ("    category: labs\n", "    category: labs\n    themes: [ecologie]\n", "thème inconnu « ecologie »",
     "transition-ecologique", "Thèmes possibles : donnees-numerique, transition-ecologique"),  # an alias
    ("    category: labs\n", "    category: labs\n    region: ile-de-franc\n", "région inconnue « ile-de-franc »",
     "ile-de-france", "Régions possibles : auvergne-rhone-alpes"),
    ("    category: labs\n", "    category: labs\n    format: en-lign\n", "format inconnu « en-lign »", "en-ligne",
     "Formats possibles : presentiel, en-ligne, hybride"),
    ("    type: ics\n", "    type: icss\n", "type inconnu « icss »", "ics", "Types possibles : ics, csv"),
    ("    category: labs\n", "    category: labs\n    timezone: Europe/Pari\n", "fuseau horaire inconnu « Europe/Pari »",
     "Europe/Paris", "Utilisez un nom IANA"),
])
def test_a_misspelt_value_gets_a_suggestion(tmp_path, before, after, wrong, right, possible):
    message = error_of(tmp_path, BASE.replace(before, after, 1))
    assert f"{wrong} ; {suggested(right)}" in message and possible in message, message


@pytest.mark.parametrize("before, after, wrong, right", [
    ("      categorie: [labs]\n", "      categorie: [colectivites]\n",
     "valeur inconnue « colectivites » pour « categorie »", "collectivites"),
    ("      categorie: [labs]\n", "      categori: [labs]\n", "critère inconnu « categori »", "categorie"),
    ("      source: [ditp]\n", "      source: [dtip]\n", "source inconnue « dtip »", "ditp"),
])
def test_a_misspelt_filter_value_gets_a_suggestion(tmp_path, before, after, wrong, right):
    message = error_of(tmp_path, (BASE + SELECTION).replace(before, after, 1))
    assert f"{wrong} ; {suggested(right)}" in message, message


def test_a_far_value_gets_no_suggestion_but_the_possible_values(tmp_path):
    message = error_of(tmp_path, BASE.replace("    category: labs\n", "    category: ministeres\n"))
    assert "vouliez-vous dire" not in message
    assert "catégorie inconnue « ministeres ». Catégories possibles : labs, collectivites." in message


@pytest.mark.parametrize("written, other", [
    ("Mon-Programme", ""), ("Tous", ""), ("Sélection", ""), ("tous", ""), ("mon-programme", ""),
    ("Mon-Programme", "  mon-programme-2:\n    filter: {categorie: [labs]}\n"),  # a name the file already uses
])
def test_the_suggested_selection_name_is_never_reserved(tmp_path, written, other):
    text = BASE + f"selections:\n  {written}:\n    name: X\n    filter: {{categorie: [labs]}}\n" + other
    message = error_of(tmp_path, text)
    assert f"ligne {line_of(text, written + ':')} : sélection « {written} »" in message
    names = re.findall(r"par exemple « ([^»]+) »", message)
    assert len(names) == 1 and names[0] not in RESERVED_NAMES, message
    config = load_config(write(tmp_path, text.replace(f"  {written}:", f"  {names[0]}:")))  # the fix works
    assert names[0] in {s.slug for s in config.selections}
