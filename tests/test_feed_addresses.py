"""Every feed address once published keeps answering a valid calendar, live and in the static tree: a
subscription outlives the team's renames and retirements, and the service's own move."""

import datetime as dt
import json

import yaml
from icalendar import Calendar

from calfeed.cli import cli
from helpers import parse_feed

NOTICE = "Cet agenda n'est plus mis à jour"


def _edit(path, change):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _answers(runner, config, output, address):
    """The feed at `address`, live and static (asserted identical), parsed: (calendar name, UID → VEVENT)."""
    from calfeed.web import create_app
    result = runner.invoke(cli, ["build", "--config", str(config), "--output", str(output)])
    assert result.exit_code == 0, result.output
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(config), "CALFEED_CHECK_SECONDS": 0})
    try:
        live = app.test_client().get(f"/feeds/{address}")
        assert live.status_code == 200, address
        assert live.data == (output / address).read_bytes()
        assert (output / "import" / address).is_file()
        stem = address.removesuffix(".ics")
        live_json = app.test_client().get(f"/feeds/{stem}.json").get_json()  # links differ: relative to each root
        static_json = json.loads((output / f"{stem}.json").read_text(encoding="utf-8"))
        assert [live_json[key] for key in ("nom", "nombre")] == [static_json[key] for key in ("nom", "nombre")]
        assert (output / "integrer" / f"{stem}.html").is_file()
    finally:
        app.extensions["calfeed"].store.close()
    return str(Calendar.from_ical(live.data).get("X-WR-CALNAME")), parse_feed(live.data)


def _rename_selection(document):
    document["selections"]["tables-rondes"] = document["selections"].pop("tables-rondes-ditp")
    document["selections"]["tables-rondes"]["name"] = "Tables rondes"


def test_a_renamed_selection_keeps_its_old_address_answering(runner, bundled, tmp_path):
    output = tmp_path / "site"
    name, events = _answers(runner, bundled, output, "tables-rondes-ditp.ics")
    assert len(events) == 4
    _edit(bundled, _rename_selection)
    said = runner.invoke(cli, ["diff", "--config", str(bundled)]).output
    assert "/feeds/tables-rondes-ditp.ics (« Tables rondes de la DITP — Mois de l'innovation publique ») n'est " \
           "plus dans sources.yaml" in said
    assert "nouvel agenda : « Tables rondes — Mois de l'innovation publique » (/feeds/tables-rondes.ics)" in said
    # Not declared: the old address keeps its name and events, and says where to subscribe now.
    old_name, old = _answers(runner, bundled, output, "tables-rondes-ditp.ics")
    assert old_name == name
    notices = [e for e in old.values() if str(e["SUMMARY"]) == NOTICE]
    assert len(old) == 5 and len(notices) == 1
    assert "n'est plus publié" in str(notices[0]["DESCRIPTION"])
    assert notices[0]["DTSTART"].dt == dt.datetime.now(dt.UTC).date()  # the day it left sources.yaml (UTC)
    assert len(_answers(runner, bundled, output, "tables-rondes.ics")[1]) == 4
    checked = runner.invoke(cli, ["check", "--config", str(bundled)]).output
    assert ("ancienne adresse d'agenda qui répond encore : /feeds/tables-rondes-ditp.ics (« Tables rondes de la "
            "DITP — Mois de l'innovation publique ») : ses événements encore sélectionnés et un avis « Cet agenda "
            "n'est plus mis à jour »") in checked
    # Declared: the old address answers the new feed, events only.
    _edit(bundled, lambda d: d["publish"].update(renamed={"tables-rondes-ditp.ics": "tables-rondes.ics"}))
    renamed_name, renamed = _answers(runner, bundled, output, "tables-rondes-ditp.ics")
    checked = runner.invoke(cli, ["check", "--config", str(bundled)]).output
    assert "ancienne adresse d'agenda qui répond encore : /feeds/tables-rondes-ditp.ics → /feeds/tables-rondes.ics" \
        in checked
    assert renamed_name == "Tables rondes — Mois de l'innovation publique"
    assert sorted(renamed) == sorted(uid for uid in old if old[uid] not in notices)


def test_a_retired_category_still_answers_with_its_name(runner, bundled, tmp_path):
    output = tmp_path / "site"
    name, events = _answers(runner, bundled, output, "categorie/associations.ics")
    assert len(events) == 2

    def retire(document):
        del document["categories"]["associations"]
        for term in document["categories"].values():
            if isinstance(term, dict) and term.get("name") == "Opérateurs et établissements publics":
                term["aliases"] = [*term["aliases"], "Associations"]  # their events go to another category
    _edit(bundled, retire)
    kept_name, kept = _answers(runner, bundled, output, "categorie/associations.ics")
    assert kept_name == name
    assert [str(e["SUMMARY"]) for e in kept.values()] == [NOTICE]


def test_a_moved_service_tells_every_feed_where_it_went(runner, bundled, tmp_path):
    output = tmp_path / "site"
    _edit(bundled, lambda d: d["publish"].update(moved_to="https://agendas.exemple.gouv.fr",
                                                  moved_on="2023-01-09"))
    for address in ("tous.ics", "categorie/labs.ics", "region/corse.ics"):
        _, events = _answers(runner, bundled, output, address)
        notice = [e for e in events.values() if str(e["SUMMARY"]) == "Cet agenda change d'adresse"]
        assert len(notice) == 1 and notice[0]["DTSTART"].dt == dt.date(2023, 1, 9)
        assert f"https://agendas.exemple.gouv.fr/feeds/{address}" in str(notice[0]["DESCRIPTION"])
    from calfeed.web import create_app
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(bundled)})
    try:
        for address in ("selection.ics?theme=donnees-numerique", "mon-programme.ics?e=0123456789ab"):
            events = parse_feed(app.test_client().get(f"/feeds/{address}").data)
            assert [str(e["SUMMARY"]) for e in events.values()].count("Cet agenda change d'adresse") == 1, address
    finally:
        app.extensions["calfeed"].store.close()


def test_renames_and_moves_are_checked(runner, bundled):
    for change, said in (
        (lambda d: d["publish"].update(renamed={"tous.ics": "categorie/labs.ics"}), "est l'adresse d'un agenda publié"),
        (lambda d: d["publish"].update(renamed={"vieux.ics": "nouveau.ics"}), "lu : vieux.ics → nouveau.ics"),
        (lambda d: d["publish"].update(moved_to="https://ailleurs.exemple.fr"), "indiquez aussi « moved_on: »"),
    ):
        original = bundled.read_text(encoding="utf-8")
        _edit(bundled, change)
        result = runner.invoke(cli, ["check", "--no-fetch", "--config", str(bundled)])
        assert result.exit_code == 1 and said in result.output, result.output
        bundled.write_text(original, encoding="utf-8")
