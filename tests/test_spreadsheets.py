"""Spreadsheets as people write them: their own headers (or a `columns:` mapping), combined time cells,
date ranges, Excel workbooks; every unread column reported."""

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calfeed.sources import parse_source
from calfeed.cli import cli
from calfeed.errors import ConfigError, SourceError
from helpers import open_project

DATA = Path(__file__).parent / "data"
PARIS = ZoneInfo("Europe/Paris")
MAPPING = {"titre": "Nom de l'atelier", "date_debut": "Quand", "horaires": "Créneau horaire", "lieu": "Où",
           "organisateur": "Porteur"}


@pytest.fixture
def read(project):
    def read(name, kind="csv", **options):
        path = project([{"id": "tableur", "type": kind, "path": name, **options}], files=[name])
        config, _ = open_project(path)
        source = config.sources[0]
        return parse_source(source.path.read_bytes(), source, config.taxonomy)
    return read


def spans(parsed, title):
    return sorted((e.start, e.end) for e in parsed.events if e.title == title)


def at(day, hour, minute=0):
    return dt.datetime(2022, 11, day, hour, minute, tzinfo=PARIS)


def test_french_headers_time_cells_and_date_ranges(read):
    parsed = read("tableur_intitule_horaires.csv")
    assert spans(parsed, "Atelier « Dites-le-nous une fois »") == [(at(21, 14), at(21, 16, 30)),
                                                                    (at(22, 14), at(22, 16, 30))]
    assert spans(parsed, "Permanence numérique") == [(at(21, 10), at(21, 11, 30)), (at(22, 10), at(22, 11, 30))]
    assert spans(parsed, "Forum de l'innovation") == [(at(23, 9, 30), at(23, 12)), (at(24, 9, 30), at(24, 12))]
    assert spans(parsed, "Conférence de clôture") == [(at(25, 14), at(25, 14))]
    assert spans(parsed, "Salon des solutions") == [(dt.date(2022, 11, 28), dt.date(2022, 11, 30))]
    first = next(e for e in parsed.events if e.title.startswith("Atelier"))
    assert first.organiser == "Nantes Métropole" and first.themes == ("experience-usagers",)
    assert {e.title: e.facet("public") for e in parsed.events if e.facet("public")} == {  # « Public visé »
        "Atelier « Dites-le-nous une fois »": ("agents-publics",), "Permanence numérique": ("usagers",),
        "Forum de l'innovation": ("usagers",)}
    reasons = {r.where: r.reason for r in parsed.rejected}
    assert reasons == {"ligne 7": "date de début manquante",
                       "ligne 8": reasons["ligne 8"]} and "horaires illisibles « vers midi »" in reasons["ligne 8"]
    assert [w.where for w in parsed.warnings] == ["colonne « Contact presse »"]
    assert "non lue" in parsed.warnings[0].reason


def test_columns_mapping_reads_a_sheet_with_its_own_headers(read):
    with pytest.raises(SourceError, match="colonnes obligatoires absentes : titre, date_debut"):
        read("tableur_colonnes_libres.csv", category="labs")
    parsed = read("tableur_colonnes_libres.csv", category="labs", columns=MAPPING)
    assert spans(parsed, "Fresque du numérique responsable") == [(at(21, 9), at(21, 12)), (at(22, 9), at(22, 12))]
    cafe = next(e for e in parsed.events if e.title == "Café design")
    assert (cafe.start, cafe.end) == (at(23, 8, 30), at(23, 9, 30))
    assert cafe.location.name == "Cafétéria" and cafe.organiser == "Lab Occitanie"
    assert [w.where for w in parsed.warnings] == ["colonne « Remarques internes »"]


def test_columns_mapping_mistakes_are_named(read, project):
    with pytest.raises(SourceError, match="colonne calfeed inconnue « title » \\(vouliez-vous dire titre \\?"):
        read("tableur_colonnes_libres.csv", category="labs", columns={"title": "Nom de l'atelier"})
    # a mapped header missing from the sheet is named even when calfeed finds the column by itself elsewhere
    with pytest.raises(SourceError, match="« Heures » \\(pour horaires\\) est absente"):
        read("tableur_intitule_horaires.csv", columns={"horaires": "Heures"})
    with pytest.raises(SourceError, match="« Nom » \\(pour titre\\) est absente"):
        read("tableur_colonnes_libres.csv", category="labs", columns={**MAPPING, "titre": "Nom"})
    with pytest.raises(ConfigError, match="columns.titre"):
        open_project(project([{"id": "t", "type": "csv", "path": "x.csv", "columns": {"titre": ["a"]}}]))


def test_excel_workbook_first_sheet_with_excel_dates_and_times(read):
    parsed = read("tableur_excel.xlsx", kind="xlsx")
    assert spans(parsed, "Hackathon des données locales") == [(at(21, 9, 30), at(21, 9, 30))]
    assert spans(parsed, "Atelier accessibilité") == [(at(22, 14), at(22, 14))]
    assert spans(parsed, "Rencontre des agents") == [(at(24, 10), at(24, 12)), (at(25, 10), at(25, 12))]
    assert next(e for e in parsed.events if e.title == "Atelier accessibilité").location.postal_code == "31000"
    assert [r.where for r in parsed.rejected] == ["ligne 5"]
    assert [w.where for w in parsed.warnings] == ["colonne « Commentaire »"]


def test_excel_named_sheet_with_a_mapping(read):
    parsed = read("tableur_excel.xlsx", kind="xlsx", sheet="Archives 2021", category="labs",
                  columns={"titre": "Nom de la session", "date_debut": "Jour", "horaires": "Créneau"})
    start = dt.datetime(2021, 11, 18, 14, tzinfo=PARIS)
    assert spans(parsed, "Session de 2021") == [(start, start + dt.timedelta(hours=1))]
    assert spans(read("tableur_excel.xlsx", kind="xlsx", sheet=2, category="labs", columns={
        "titre": "Nom de la session", "date_debut": "Jour", "horaires": "Créneau"}), "Session de 2021")
    with pytest.raises(SourceError, match="feuille « Programme 2023 » absente du classeur"):
        read("tableur_excel.xlsx", kind="xlsx", sheet="Programme 2023")


def test_a_body_that_is_not_a_workbook_is_refused(project, tmp_path):
    shutil.copy(DATA / "tableur_colonnes_libres.csv", tmp_path / "faux.xlsx")
    config, _ = open_project(project([{"id": "x", "type": "xlsx", "path": "faux.xlsx"}]))
    with pytest.raises(SourceError, match="n'est pas un classeur Excel"):
        parse_source((tmp_path / "faux.xlsx").read_bytes(), config.sources[0], config.taxonomy)


def test_check_reports_unread_columns(project, runner):
    path = project([{"id": "tableur", "type": "csv", "path": "tableur_intitule_horaires.csv"}],
                   files=["tableur_intitule_horaires.csv"])
    result = runner.invoke(cli, ["check", "--config", str(path)])
    assert "tableur — avertissement — colonne « Contact presse » : non lue" in result.output
    assert "tableur — rejeté — ligne 8 : cellule « Horaires » : horaires illisibles" in result.output


def test_status_page_reports_unread_columns(project):
    from calfeed.refresh import refresh_sources
    from calfeed.web import create_app
    path = project([{"id": "tableur", "type": "csv", "path": "tableur_intitule_horaires.csv"}],
                   files=["tableur_intitule_horaires.csv"])
    config, store = open_project(path)
    refresh_sources(config, store)
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(path), "CALFEED_CHECK_SECONDS": 0})
    try:
        [status] = app.test_client().get("/etat.json").get_json()["sources"]
    finally:
        app.extensions["calfeed"].store.close()
    assert any("colonne « Contact presse » : non lue" in w for w in status["warnings"])
    assert any("horaires illisibles" in r for r in status["rejected"])


def test_a_whole_day_time_cell_is_an_all_day_event_and_reversed_hours_are_said_in_french(read):
    parsed = read("tableur_journee_entiere.csv", category="labs")
    assert spans(parsed, "Forum des agents") == [(dt.date(2022, 11, 21), dt.date(2022, 11, 22))]
    assert spans(parsed, "Salon des solutions") == [(dt.date(2022, 11, 23), dt.date(2022, 11, 25))]
    reasons = {r.where: r.reason for r in parsed.rejected}
    assert reasons == {"ligne 4": "la fin (22/11/2022 14:00) précède le début (22/11/2022 16:30)"}


def test_abbreviated_months_are_read(read):
    parsed = read("tableur_mois_abreges.csv", category="labs")
    assert not parsed.rejected
    assert spans(parsed, "Atelier abrégé") == [(at(21, 10), at(21, 11))]
    assert spans(parsed, "Semaine du design") == [(dt.date(2022, 11, 28), dt.date(2022, 12, 3))]
    assert spans(parsed, "Petit-déjeuner") == [(dt.datetime(2022, 12, 1, 8, 30, tzinfo=PARIS),
                                                dt.datetime(2022, 12, 1, 9, 30, tzinfo=PARIS))]
