"""A year in the life (issue 18): the team's own edits and the yearly cycle never mislead a subscriber.

Each step runs through the command line on real files and is checked against a subscriber's snapshot
taken after the first build, in the static feed and in the live app's answer."""

from season import NOW0, events_of, feed_names, figures, play


def live_feed(season) -> bytes:
    from calfeed.web import create_app
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(season.config), "CALFEED_CHECK_SECONDS": 0})
    response = app.test_client().get("/feeds/tous.ics")
    assert response.status_code == 200
    return response.data


def test_a_year_in_the_life(tmp_path):
    seen = []

    def checkpoint(name, season, output):
        number = name.split()[0]
        snapshot, now = events_of(season.snapshot), events_of(season.tous())
        step = figures(season.previous, season.tous())
        seen.append(number)
        assert live_feed(season) == season.tous(), name  # the live app answers what the build wrote
        assert step["duplicated"] == 0, (name, step)
        if number == "0":
            assert len(snapshot) == 4 + 5 + 6 + 3
            return
        kept = {uid for uid in snapshot if uid in now and now[uid]["bytes"] == snapshot[uid]["bytes"]}
        if number in ("1", "2"):
            assert step == {"added": [], "removed": [], "changed": [], "cancelled": [], "duplicated": 0}, name
            assert kept == set(snapshot), name  # byte for byte what the subscriber has
        if number == "2":
            assert "la source « partenaire » n'est plus dans sources.yaml ; ses 3 événement(s) restent publiés" in output
            assert "calfeed retire partenaire" in output
        if number == "3":
            assert step["cancelled"] == ["ANNULÉ – Forum des agents", "ANNULÉ – Rencontre élus et agents"], step
            assert step["changed"] == [] and step["added"] == []
            assert len(kept) == len(snapshot) - 2  # the past visit stays as it was
            assert "1 événement(s) passé(s) gardé(s) tels quels" in output and "« Forum des agents »" in output
            assert "partenaire" not in output.split("Source « partenaire » retirée")[1]  # no warning any more
        if number == "4":
            past = {uid for uid, event in snapshot.items() if event["start"] < NOW0 and "Atelier" in event["title"]}
            assert past and past <= kept  # last year's workshops, byte for byte
            assert step["added"] == ["Atelier accessibilité", "Atelier design de services",
                                     "Atelier intelligence artificielle"], step
            assert step["changed"] == step["cancelled"] == step["removed"] == []
            names = feed_names(season.feeds)
            assert {path: names[path] for path in season.names} == season.names  # same addresses, same names
        if number == "5":
            assert step["added"] == ["Webinaire sobriété"] and step["cancelled"] == step["changed"] == [], step
            assert "réexporté avec un nouvel identifiant" in output
        if number.startswith("6"):
            assert step["cancelled"] == step["added"] == step["removed"] == [], (name, step)
            rh = [e for e in now.values() if e["title"] == "Conférence RH"]
            assert len(rh) == 1 and rh[0]["status"] == "CONFIRMED", name
        if number == "6a":
            assert "même événement que dans la source « conf-etat », publié une seule fois" in output
        if number == "7a":
            assert season.fetch_code == 1 and "calfeed accept reseau" in output and "changement massif" in output
            assert season.tous() == season.previous  # nothing published until accepted
        if number == "7b":
            assert step["cancelled"] == ["ANNULÉ – Webinaire budget vert", "ANNULÉ – Webinaire cybersécurité",
                                         "ANNULÉ – Webinaire open data", "ANNULÉ – Webinaire sobriété",
                                         "ANNULÉ – Webinaire télétravail", "ANNULÉ – Webinaire égalité"], step
            assert step["added"] == ["Webinaire inédit"] and step["changed"] == []
            assert "annoncé annulé — « Webinaire télétravail » (12/01/2027 10:00)" in output
            assert "6 événement(s) annoncé(s) annulé(s) aux abonnés." in output

    play(tmp_path / "programme", checkpoint)
    assert seen == ["0", "1", "2", "3", "4", "5", "6a", "6b", "6c", "7a", "7b"]
