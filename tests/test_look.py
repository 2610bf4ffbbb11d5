"""Look before publishing: `calfeed check` and `calfeed diff` read the sources into a copy of the store and
change nothing — not the store file, not the output tree, not what the live service answers."""

import datetime as dt
import hashlib

from calfeed.cli import cli
from calfeed.rehearsal import feed_changes, format_changes, rehearse
from calfeed.refresh import refresh_sources
from helpers import open_project

NOVEMBER = dt.datetime(2022, 11, 10, 9, tzinfo=dt.UTC)
LIVE = ("/", "/feeds/tous.ics", "/feeds/categorie/labs.ics", "/feeds/tables-rondes-ditp.ics", "/etat.json",
        "/feeds/tous.json")


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(store_path, output, client) -> dict:
    """Checksums of what a subscriber or the team can see: the store's file, every built file, live answers."""
    files = {p.relative_to(output).as_posix(): _digest(p) for p in sorted(output.rglob("*")) if p.is_file()}
    live = {address: hashlib.sha256(client.get(address).data).hexdigest() for address in LIVE}
    wal = store_path.with_name(store_path.name + "-wal")  # where SQLite writes first, in WAL mode
    return {"store": (_digest(store_path), _digest(wal) if wal.exists() else ""), "files": files, "live": live}


def _edit_csv(bundled):
    """The organisers' next export: one title changed, one time added, one new event in 2031."""
    path = bundled.parent / "data" / "2022" / "evenements.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("Anniversaire du Ti Lab;", "Les 5 ans du Ti Lab;", 1)
    lines = text.splitlines(keepends=True)
    lines.append("demain;Atelier de l'an prochain;;14/11/2031;;;;;;;;;;;;;;DITP;Services de l'État;;Atelier;;;;\n")
    path.write_text("".join(lines), encoding="utf-8")


def test_check_and_diff_touch_neither_store_nor_output_nor_live_answers(runner, bundled, tmp_path):
    from calfeed.web import create_app, start
    output = tmp_path / "site"
    assert runner.invoke(cli, ["build", "--config", str(bundled), "--output", str(output)]).exit_code == 0
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(bundled), "CALFEED_CHECK_SECONDS": 0})
    client = app.test_client()
    # The live app adds its request counts to the store every few seconds: held in memory here, so that the
    # store's checksum sees only what check and diff might do.
    site = start(app)
    site.counts.flush_seconds = float("inf")
    store_path = site.store.path
    try:
        quiet = runner.invoke(cli, ["diff", "--config", str(bundled)])
        assert quiet.exit_code == 0, quiet.output
        assert "Rien ne changerait pour les abonnés" in quiet.output
        before = _snapshot(store_path, output, client)
        _edit_csv(bundled)
        for args in (["check"], ["check", "--no-fetch"], ["diff"]):
            result = runner.invoke(cli, [*args, "--config", str(bundled)])
            assert "Traceback" not in result.output
            assert _snapshot(store_path, output, client) == before, args
        assert result.exit_code == 1, result.output
        assert "« Les 5 ans du Ti Lab » (vendredi 18 novembre 2022) — titre (avant : « Anniversaire du Ti Lab »)\n" \
            in result.output
        assert "+ ajouté : « Atelier de l'an prochain » (vendredi 14 novembre 2031)" in result.output
        assert "(/feeds/categorie/labs.ics) : 1 modifié\n" in result.output
        assert "(/feeds/tous.ics) : 1 ajouté, 1 modifié\n" in result.output
        # Once published, nothing is left to show.
        assert runner.invoke(cli, ["fetch", "--config", str(bundled)]).exit_code == 0
        assert _snapshot(store_path, output, client)["live"] != before["live"]  # the checksums do see a change
        assert runner.invoke(cli, ["diff", "--config", str(bundled)]).exit_code == 0
    finally:
        app.extensions["calfeed"].store.close()


def test_diff_exit_code_2_on_a_configuration_error(runner, tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: a\n    type: rss\n    path: a.ics\ncategories: {labs: Labs}\n", encoding="utf-8")
    result = runner.invoke(cli, ["diff", "--config", str(path)])
    assert result.exit_code == 2
    assert "type inconnu « rss »" in result.stderr and "Traceback" not in result.output


def test_diff_exit_code_2_when_a_source_cannot_be_read(runner, bundled):
    assert runner.invoke(cli, ["fetch", "--config", str(bundled)]).exit_code == 0
    (bundled.parent / "data" / "2022" / "tables-rondes-ditp.ics").unlink()
    result = runner.invoke(cli, ["diff", "--config", str(bundled)])
    assert result.exit_code == 2
    assert "ditp-tables-rondes" in result.stderr


def test_a_removed_row_is_shown_cancelled_in_each_feed_that_held_it(bundled):
    config, store = open_project(bundled)
    refresh_sources(config, store, now=NOVEMBER)
    csv = bundled.parent / "data" / "2022" / "evenements.csv"
    csv.write_text("".join(line for line in csv.read_text(encoding="utf-8").splitlines(keepends=True)
                           if not line.startswith("labest-rencontres-donnee;")), encoding="utf-8")
    stamp = _digest(store.path)
    with rehearse(config, store, now=NOVEMBER + dt.timedelta(hours=1)) as rehearsal:
        changes = {c.feed.path: c for c in feed_changes(config, rehearsal)}
        lines, total = format_changes(config, rehearsal)
    assert _digest(store.path) == stamp
    for path in ("tous.ics", "categorie/labs.ics", "region/grand-est.ics", "theme/donnees-numerique.ics"):
        assert [item.event.title for item in changes[path].cancelled] == ["Rencontres régionales de la donnée"]
    assert not changes["categorie/etat.ics"].count
    assert total == 5  # tous, labs, grand-est, données et numérique, innovation territoriale
    assert "    × annulé : « Rencontres régionales de la donnée » (mardi 29 novembre 2022)" in lines


def test_diff_names_the_feeds_whose_address_or_name_would_change(runner, bundled):
    assert runner.invoke(cli, ["fetch", "--config", str(bundled)]).exit_code == 0
    text = bundled.read_text(encoding="utf-8")
    text = text.replace("    name: Tables rondes de la DITP\n", "    name: Les tables rondes\n")
    text = text.replace("  tables-rondes-ditp:\n", "  tables-rondes-ditp:\n", 1)
    text = text.replace("\nselections:\n", "\nselections:\n  ateliers:\n    name: Ateliers\n    filter: {type: [atelier]}\n")
    bundled.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["diff", "--config", str(bundled)])
    assert result.exit_code == 1, result.output
    assert ("/feeds/tables-rondes-ditp.ics : nouveau nom « Les tables rondes — Mois de l'innovation publique » "
            "(avant : « Tables rondes de la DITP — Mois de l'innovation publique »)") in result.output
    assert "nouvel agenda : « Ateliers — Mois de l'innovation publique » (/feeds/ateliers.ics)" in result.output
    bundled.write_text(text.replace("  ateliers:\n    name: Ateliers\n    filter: {type: [atelier]}\n", ""),
                       encoding="utf-8")
    assert runner.invoke(cli, ["fetch", "--config", str(bundled)]).exit_code == 0
    gone = runner.invoke(cli, ["diff", "--config", str(bundled)])
    assert gone.exit_code == 0, gone.output  # the new name is published: nothing left to show


def test_a_held_source_is_shown_and_exits_1_not_2(runner, bundled):
    before = {"CALFEED_NOW": "2022-11-01T09:00:00"}  # the programme still to come: vanishing events count
    assert runner.invoke(cli, ["fetch", "--config", str(bundled)], env=before).exit_code == 0
    csv = bundled.parent / "data" / "2022" / "evenements.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(lines[:3]), encoding="utf-8")  # 13 of 15 rows gone at once
    result = runner.invoke(cli, ["diff", "--config", str(bundled)], env=before)
    assert result.exit_code == 1, result.output
    assert "Sources à voir :\n    programme-2022 : " in result.output
    assert "reste publié" in result.output and "calfeed accept programme-2022" in result.output
    assert "annulé :" not in result.output  # nothing is announced while the source is held


def test_diff_on_a_damaged_store_exits_2_in_french(runner, bundled):
    from test_hardening import damage
    assert runner.invoke(cli, ["fetch", "--config", str(bundled)]).exit_code == 0
    damage(bundled.parent / ".calfeed" / "sources.sqlite")
    result = runner.invoke(cli, ["diff", "--config", str(bundled)])
    assert result.exit_code == 2, result.output
    assert "est endommagée" in result.stderr and "Traceback" not in result.output


def test_a_rehearsal_alerts_nobody(project, httpserver):
    """A source failing for hours would be told to the team by a refresh; check and diff only look."""
    httpserver.expect_request("/hooks/equipe", method="POST").respond_with_data("ok")
    path = project([{"id": "labs", "type": "csv", "path": "collectivites_semicolons.csv", "category": "labs"}],
                   files=["collectivites_semicolons.csv"],
                   alerts={"after_minutes": 60, "webhook": httpserver.url_for("/hooks/equipe")})
    config, store = open_project(path)
    assert refresh_sources(config, store, now=NOVEMBER)[0].ok
    (path.parent / "collectivites_semicolons.csv").unlink()
    for hours in (1, 3, 5):
        with rehearse(config, store, now=NOVEMBER + dt.timedelta(hours=hours)) as rehearsal:
            assert not rehearsal.reports[0].ok
    assert list(httpserver.log) == []
    refresh_sources(config, store, now=NOVEMBER + dt.timedelta(hours=1))
    refresh_sources(config, store, now=NOVEMBER + dt.timedelta(hours=3))
    assert len(httpserver.log) == 1  # the real refresh does alert: the test would see one
