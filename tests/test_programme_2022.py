"""The bundled 2022 programme: every dated event of the DITP press release, in the right feeds."""

import datetime as dt

import pytest
from click.testing import CliRunner

from calfeed.cli import cli
from helpers import parse_feed


@pytest.fixture
def built(bundled, tmp_path):
    output = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--config", str(bundled), "--output", str(output)])
    assert result.exit_code == 0, result.output
    return output


def events_of(path):
    return list(parse_feed(path.read_bytes()).values())


def starts(events):
    return sorted((e["DTSTART"].dt, str(e["SUMMARY"])) for e in events)


def test_build_writes_every_feed(built):
    expected = ["tous.ics", "tables-rondes-ditp.ics"]
    expected += [f"categorie/{c}.ics" for c in ("labs", "etat", "collectivites", "operateurs", "associations")]
    expected += [f"theme/{t}.ics" for t in ("experience-usagers", "efficacite-operationnelle", "innovation-territoriale",
                                            "transition-ecologique", "participation-citoyenne",
                                            "innovation-manageriale", "donnees-numerique")]
    for name in expected:
        assert (built / name).is_file(), name
        assert (built / "import" / name).is_file(), name
    assert (built / "index.html").is_file()


def test_round_table_feed_holds_the_four_dated_round_tables(built):
    events = events_of(built / "tables-rondes-ditp.ics")
    assert [day for day, _ in starts(events)] == [dt.date(2022, 11, d) for d in (14, 15, 16, 17)]
    for event in events:
        assert "Lieu de la transfo’ publique" in str(event["LOCATION"])
        assert "Acteurs publics TV" in str(event["DESCRIPTION"])


def test_labs_feed_holds_the_three_labs(built):
    events = starts(events_of(built / "categorie" / "labs.ics"))
    assert [(day, title.split()[-1]) for day, title in events] == [
        (dt.date(2022, 11, 18), "Lab"),  # « Anniversaire du Ti Lab »
        (dt.date(2022, 11, 29), "donnée"),  # Lab'Est, « Rencontres régionales de la donnée »
        (dt.date(2022, 11, 30), "Etat'LIN"),
    ]


def test_whole_programme_holds_every_event_of_the_release(built):
    events = events_of(built / "tous.ics")
    text = " ".join(str(e["SUMMARY"]) + " " + str(e["DESCRIPTION"]) for e in events)
    for name in ("Ti Lab", "Etat'LIN", "Lab'Est", "ministère de l'Agriculture", "PFRH", "IRA de Metz", "DGAFP",
                 "Lab Pôle emploi PACA", "Lab Ville de Marseille", "Nouvelle-Aquitaine", "Eure-et-Loir", "CNAV",
                 "Gendarmerie", "École nationale de la magistrature", "Administration moderne", "FP21",
                 "la Cordée", "Atraksis", "Profil Public"):
        assert name in text, name
    assert len(events) == 19  # 18 events, the FALC webinar on two dates
    falc = sorted(e["DTSTART"].dt for e in events if "FALC" in str(e["SUMMARY"]))
    assert falc == [dt.date(2022, 11, 16), dt.date(2022, 11, 21)]
    assert all(not isinstance(e["DTSTART"].dt, dt.datetime) for e in events)  # the release gives no hours


def test_two_builds_are_byte_identical(bundled, built, tmp_path):
    again = tmp_path / "again"
    fresh = bundled.parent.parent / "fresh"
    fresh.mkdir()
    (fresh / "sources.yaml").write_bytes(bundled.read_bytes())
    import shutil
    shutil.copytree(bundled.parent / "data", fresh / "data")
    runner = CliRunner()
    assert runner.invoke(cli, ["build", "--config", str(bundled), "--output", str(again)]).exit_code == 0
    other = tmp_path / "other-store"
    assert runner.invoke(cli, ["build", "--config", str(fresh / "sources.yaml"), "--output", str(other)]).exit_code == 0
    # Every file but the marker, which names (relative to the folder) the configuration that built it.
    files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file() and p.name != ".calfeed-build")
    assert len(files) > 40
    for relative in files:
        assert (again / relative).read_bytes() == (built / relative).read_bytes(), relative
        assert (other / relative).read_bytes() == (built / relative).read_bytes(), relative


def test_committed_feeds_folder_matches_a_fresh_build(built):
    """feeds/ in the repository is the build of the bundled data: it must not drift."""
    from pathlib import Path
    committed = Path(__file__).resolve().parent.parent / "feeds"
    for path in built.rglob("*.ics"):
        relative = path.relative_to(built)
        assert (committed / relative).read_bytes() == path.read_bytes(), relative
