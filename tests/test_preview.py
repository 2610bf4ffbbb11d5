"""`calfeed preview`: what calfeed reads from a source, in French, without touching the store or the feeds."""

import pytest

from calfeed.cli import cli
from helpers import open_project
from test_openagenda import EVENTS, KEY, FakeOpenAgenda

FIXTURES = [
    # (source entry, texts the preview must show)
    ({"type": "ics", "path": "producer_quirks.ics", "category": "labs"},
     ["Club lecture", "Atelier du mercredi (l'après-midi désormais)", "EXDATE illisible", "COUNT=-1"]),
    ({"type": "ics", "path": "google_calendar_html.ics", "category": "labs"},
     ["Atelier de prototypage rapide", "14:00–16:00", "1 événement(s) privé(s)"]),
    ({"type": "ics", "path": "outlook_exchange.ics", "category": "etat"},
     ["Séminaire innovation de la direction", "toute la journée", "2 événement(s) privé(s)"]),
    ({"type": "csv", "path": "tableur_intitule_horaires.csv"},
     ["Salon des solutions", "28/11/2022 → 29/11/2022", "ligne 8 : cellule « Horaires » : horaires illisibles", "colonne « Contact presse »"]),
    ({"type": "csv", "path": "tableur_colonnes_libres.csv", "category": "labs",
      "columns": {"titre": "Nom de l'atelier", "date_debut": "Quand", "horaires": "Créneau horaire"}},
     ["Café design", "08:30–09:30", "colonne « Remarques internes »"]),
    ({"type": "xlsx", "path": "tableur_excel.xlsx"},
     ["Hackathon des données locales", "09:30", "ligne 5 : date de début manquante", "colonne « Commentaire »"]),
    ({"type": "openagenda", "agenda": "1", "path": "openagenda_export_arles_shape.json", "category": "collectivites"},
     ["Lecture au jardin", "Nuit des musées", "aucun horaire"]),
]


@pytest.mark.parametrize(("entry", "shown"), FIXTURES, ids=[f[0]["path"] for f in FIXTURES])
def test_preview_names_events_rejections_and_warnings_and_writes_nothing(project, runner, entry, shown):
    path = project([{"id": "essai", **entry}], files=[entry["path"]])
    config, _ = open_project(path)  # opening the project creates the store: it must not change
    store_files = {p: p.read_bytes() for p in config.store_path.parent.iterdir()}
    before = sorted(p.name for p in path.parent.rglob("*"))
    result = runner.invoke(cli, ["preview", "essai", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "rien n'est publié" in result.output
    for text in shown:
        assert text in result.output
    assert {p: p.read_bytes() for p in config.store_path.parent.iterdir()} == store_files
    assert sorted(p.name for p in path.parent.rglob("*")) == before


def test_preview_of_a_file_outside_sources_yaml_creates_no_store(project, runner, tmp_path):
    path = project([{"id": "autre", "type": "ics", "path": "misc_cases.ics"}], files=["misc_cases.ics",
                                                                                       "producer_quirks.ics"])
    result = runner.invoke(cli, ["preview", "--config", str(path), "--path", str(tmp_path / "producer_quirks.ics"),
                                 "--type", "ics", "--category", "labs"])
    assert result.exit_code == 0, result.output
    assert "Point quotidien en heure UTC" in result.output
    assert not (tmp_path / "store").exists()


def test_preview_of_an_openagenda_agenda_over_its_api(project, runner, monkeypatch):
    server = FakeOpenAgenda(EVENTS)
    try:
        monkeypatch.setenv("OPENAGENDA_KEY", KEY)
        path = project([{"id": "x", "type": "ics", "path": "misc_cases.ics"}], files=["misc_cases.ics"])
        result = runner.invoke(cli, ["preview", "--config", str(path), "--type", "openagenda", "--url", server.url,
                                     "--agenda", "12345", "--key-env", "OPENAGENDA_KEY", "--category", "collectivites"])
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    assert "7 événement(s) lu(s)" not in result.output  # one event has two timings: 8 occurrences
    assert "8 événement(s) lu(s), 0 rejeté(s)" in result.output and "Ciné-débat" in result.output
    assert KEY not in result.output


def test_preview_says_when_every_event_is_rejected_and_fails(project, runner, tmp_path):
    (tmp_path / "sans-titre.ics").write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20221115T100000Z\r\n"
                                             "END:VEVENT\r\nEND:VCALENDAR\r\n")
    path = project([{"id": "vide", "type": "ics", "path": "sans-titre.ics", "category": "labs"}])
    result = runner.invoke(cli, ["preview", "vide", "--config", str(path)])
    assert result.exit_code == 1
    assert "rejeté — VEVENT UID a : titre manquant" in result.output and "serait en échec" in result.output


def test_preview_of_an_unknown_source_is_a_french_error(project, runner):
    path = project([{"id": "x", "type": "ics", "path": "misc_cases.ics"}], files=["misc_cases.ics"])
    result = runner.invoke(cli, ["preview", "inconnue", "--config", str(path)])
    assert result.exit_code == 1 and "source inconnue « inconnue »" in result.output


def test_preview_of_a_csv_cut_short_says_it_would_be_held(project, runner, tmp_path):
    whole = (tmp_path / "programme.csv")
    whole.write_text("id;titre;date_debut;categorie;description\n"
                     "r1;Atelier un;15/11/2022;labs;Premier atelier\n"
                     "r2;Atelier deux;16/11/2022;labs;\"Deuxième atelier, en deux parties\"\n", encoding="utf-8")
    path = project([{"id": "coupee", "type": "csv", "path": "programme.csv"}])
    assert runner.invoke(cli, ["preview", "coupee", "--config", str(path)]).exit_code == 0
    whole.write_bytes(whole.read_bytes()[:-20])  # an export cut in the middle of its last description
    result = runner.invoke(cli, ["preview", "coupee", "--config", str(path)])
    assert result.exit_code == 1, result.output
    assert "il semble coupé" in result.output and "la source serait retenue" in result.output


def test_preview_errors_are_said_in_french(project, runner):
    path = project([{"id": "x", "type": "ics", "path": "misc_cases.ics"}], files=["misc_cases.ics"])
    result = runner.invoke(cli, ["preview", "--config", str(path), "--path", "ailleurs.ics"])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : indiquez") and "Error" not in result.output


@pytest.mark.parametrize("options, said", [
    (["--path", "misc_cases.ics", "--category", "inconnue"], "catégorie inconnue « inconnue ». Catégories possibles"),
    (["--url", "ftp://exemple.fr/agenda.ics"], "l'adresse « ftp://exemple.fr/agenda.ics » doit commencer par http"),
])
def test_preview_options_are_checked_as_sources_yaml_is(project, runner, options, said):
    path = project([{"id": "x", "type": "ics", "path": "misc_cases.ics"}], files=["misc_cases.ics"])
    result = runner.invoke(cli, ["preview", "--config", str(path), "--type", "ics", *options])
    assert result.exit_code == 1 and said in result.output, result.output
    assert "Aperçu" not in result.output  # refused before anything is read


def test_preview_takes_a_category_by_its_name(project, runner, tmp_path):
    (tmp_path / "sans-categorie.ics").write_text(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Atelier\r\nDTSTART:20221115T100000Z\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")
    path = project([{"id": "x", "type": "ics", "path": "misc_cases.ics"}], files=["misc_cases.ics"])
    result = runner.invoke(cli, ["preview", "--config", str(path), "--path", str(tmp_path / "sans-categorie.ics"),
                                 "--type", "ics", "--category", "laboratoire"])
    assert result.exit_code == 0, result.output
    assert "Laboratoires d'innovation territoriale" in result.output  # not the raw « laboratoire »
