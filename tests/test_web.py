"""The live site: feeds as clients expect them over HTTP, the page, clear errors."""

import gzip
import datetime as dt
import re

import pytest
from icalendar import Calendar

from helpers import parse_feed


def test_feed_headers(client):
    response = client.get("/feeds/categorie/labs.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'inline; filename="categorie-labs.ics"'
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert len(parse_feed(response.data)) == 3


def test_feed_and_304_carry_exactly_their_headers(client):
    """The headers are prepared once per version and sent as they are (web/responses.py,
    `PreparedResponse`): a 200 carries all of them, a 304 what a cache must update (RFC 9110 15.4.5) and no
    entity header; no answer can change the headers its version shares with the others."""
    first = client.get("/feeds/theme/transition-ecologique.ics")
    assert sorted(first.headers.keys()) == ["Access-Control-Allow-Origin", "Cache-Control", "Content-Disposition",
                                            "Content-Length", "Content-Security-Policy", "Content-Type", "ETag",
                                            "Last-Modified", "Vary", "X-Content-Type-Options", "X-Frame-Options"]
    assert first.headers["Vary"] == "Accept-Encoding, User-Agent" and first.headers["X-Content-Type-Options"] == "nosniff"
    assert int(first.headers["Content-Length"]) == len(first.data) > 0
    again = client.get("/feeds/theme/transition-ecologique.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert dict(again.headers) == {name: first.headers[name] for name in
                                   ("ETag", "Cache-Control", "Vary", "Access-Control-Allow-Origin",
                                    "Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options")}
    from calfeed.web.responses import SentHeaders
    shared = SentHeaders([("Cache-Control", "public, max-age=3600")])
    with pytest.raises(TypeError):
        shared["Cache-Control"] = "no-store"
    with pytest.raises(ValueError):  # werkzeug still checks each value once, when a version is prepared
        SentHeaders([("Content-Disposition", 'inline; filename="a\nb.ics"')])


def test_conditional_get_and_head(client):
    first = client.get("/feeds/tous.ics")
    etag = first.headers["ETag"]
    again = client.get("/feeds/tous.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/feeds/tous.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304 and since.data == b""
    head = client.head("/feeds/tous.ics")
    assert head.status_code == 200 and head.data == b""
    assert int(head.headers["Content-Length"]) == len(first.data)


def test_changed_feed_gets_a_new_etag(client, app, bundled):
    from calfeed.refresh import refresh_sources
    site = app.extensions["calfeed"]
    before = client.get("/feeds/tous.ics")
    csv = bundled.parent / "data" / "2022" / "evenements.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("Anniversaire du Ti Lab", "Anniversaire du Ti Lab (5 ans)"),
                   encoding="utf-8")
    refresh_sources(site.config, site.store)
    after = client.get("/feeds/tous.ics", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert "Anniversaire du Ti Lab (5 ans)" in after.data.decode()


def test_each_content_coding_has_its_own_etag(client):
    """A cache must never hand the gzip body to a client that asked for the plain one (RFC 9110 8.8.3)."""
    plain = client.get("/feeds/tous.ics")
    packed = client.get("/feeds/tous.ics", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert plain.headers["ETag"] != packed.headers["ETag"]
    # Each client revalidates its own copy; a copy of the other coding is not this one.
    assert client.get("/feeds/tous.ics", headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    assert client.get("/feeds/tous.ics", headers={"If-None-Match": packed.headers["ETag"],
                                                  "Accept-Encoding": "gzip"}).status_code == 304
    assert client.get("/feeds/tous.ics", headers={"If-None-Match": packed.headers["ETag"]}).status_code == 200
    # A proxy that weakened our ETag still gets its 304 (weak comparison for If-None-Match).
    weak = client.get("/feeds/tous.ics", headers={"If-None-Match": f'"autre", W/{plain.headers["ETag"]}'})
    assert weak.status_code == 304 and weak.headers["ETag"] == plain.headers["ETag"]
    assert weak.headers["Cache-Control"] == "public, max-age=3600"
    assert weak.headers["Access-Control-Allow-Origin"] == "*"


def test_json_exports_answer_conditional_requests(client):
    first = client.get("/feeds/categorie/labs.json")
    assert first.status_code == 200 and first.headers["Content-Type"] == "application/json"
    assert first.json["nombre"] == 3
    again = client.get("/feeds/categorie/labs.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/feeds/categorie/labs.json", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304


@pytest.mark.parametrize("address, status", [
    ("/feeds/tous.ics?rappel=%C2%B2", 400),  # « ² » is a digit to Python, not a number of minutes
    ("/feeds/tous.ics?rappel=-5", 400),
    ("/feeds/tous.ics?rappel=99999", 400),
    ("/feeds/tous.ics?usage=autre", 400),
    ("/feeds/tous.ics?categorie=labs", 400),
    ("/feeds/selection.ics?couleur=bleu", 400),
    ("/feeds/mon-programme.ics?e=abc&x=1", 400),
    ("/feeds/inconnu.ics", 404),
    ("/feeds/evenements/000000000000.ics", 404),
])
def test_wrong_feed_addresses_say_why(client, address, status):
    response = client.get(address)
    assert response.status_code == status
    assert response.headers["Content-Type"].endswith("charset=utf-8")


def test_feed_bodies_stay_within_their_memory_budget():
    from calfeed.web import Bodies
    bodies = Bodies(budget=100)
    for name in "abc":
        bodies.put(name, name.encode() * 40)
        bodies.get("a")  # recently used: kept
    assert bodies.size == 80 and bodies.get("a") and bodies.get("c") and bodies.get("b") is None
    bodies.put("big", b"x" * 101)  # larger than the budget: served, never kept
    assert bodies.get("big") is None and bodies.size == 80


def test_room_is_made_before_a_body_is_made():
    """The bodies kept and the one being made stay within the budget together (the peak of memory)."""
    from calfeed.web import Bodies
    bodies = Bodies(budget=100)
    for name in "ab":
        bodies.put(name, name.encode() * 40)
    bodies.make_room()  # room for a body as large as the largest kept (40): the least used goes
    assert bodies.size == 40 and bodies.get("a") is None and bodies.get("b")
    bodies.make_room()  # 40 + 40 fit: nothing more goes
    assert bodies.get("b")


def test_feeds_without_memory_for_bodies_are_the_same(app, client, bundled):
    """With no memory for bodies (CALFEED_CACHE_MB=0) every 200 is rendered again: same bytes, same
    ETags, and 304s still answered from what is known of each version."""
    from calfeed.web import create_app
    lean = create_app({"TESTING": True, "CALFEED_CONFIG": str(bundled), "CALFEED_CHECK_SECONDS": 0,
                       "CALFEED_CACHE_MB": 0})
    try:
        lean_client = lean.test_client()
        from calfeed.addresses import catalogue
        site = app.extensions["calfeed"]
        paths = sorted(catalogue(site.config, site.programme()))
        assert len(paths) > 20
        for path in paths:
            for headers in ({}, {"Accept-Encoding": "gzip"}):
                for _ in range(2):
                    expected = client.get(f"/feeds/{path}", headers=headers)
                    got = lean_client.get(f"/feeds/{path}", headers=headers)
                    assert (got.status_code, got.headers.to_wsgi_list(), got.data) == \
                        (expected.status_code, expected.headers.to_wsgi_list(), expected.data), path
            for headers in ({}, {"Accept-Encoding": "gzip"}):
                etag = client.get(f"/feeds/{path}", headers=headers).headers["ETag"]
                not_modified = lean_client.get(f"/feeds/{path}", headers={**headers, "If-None-Match": etag})
                assert not_modified.status_code == 304
        assert lean.extensions["calfeed"].bodies.size == 0
        assert app.extensions["calfeed"].bodies.size > 0
    finally:
        lean.extensions["calfeed"].store.close()


def test_gzip_only_when_asked(client):
    plain = client.get("/feeds/tous.ics")
    assert "Content-Encoding" not in plain.headers
    # The body depends on User-Agent too (no gzip for Microsoft's clients): a shared cache must key on it.
    assert plain.headers["Vary"] == "Accept-Encoding, User-Agent"
    packed = client.get("/feeds/tous.ics", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Vary"] == "Accept-Encoding, User-Agent" and "public" in packed.headers["Cache-Control"]
    for page in ("/", "/feeds/constructeur.html?theme=transition-ecologique", "/feeds/integrer/tous.html"):
        assert client.get(page).headers["Cache-Control"] == "no-cache", page  # no validator: asked again
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    refused = client.get("/feeds/tous.ics", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    outlook = client.get("/feeds/tous.ics", headers={
        "Accept-Encoding": "gzip", "User-Agent": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928)"})
    assert "Content-Encoding" not in outlook.headers and outlook.data == plain.data


def test_selection_combines_parameters(client):
    response = client.get("/feeds/selection.ics?categorie=labs&categorie=etat&theme=Innovation%20manag%C3%A9riale")
    events = parse_feed(response.data)
    assert response.status_code == 200 and len(events) == 3  # the three State events on that theme
    assert all("Innovation managériale" in [str(c) for c in e["CATEGORIES"].cats] for e in events.values())
    online = parse_feed(client.get("/feeds/selection.ics?format=en-ligne").data)
    assert len(online) == 4 + 4  # 4 online events (FALC twice) + the 4 hybrid round tables
    region = parse_feed(client.get("/feeds/selection.ics?region=grand-est").data)
    assert len(region) == 2


@pytest.mark.parametrize("query, word", [
    ("theme=bogus", "experience-usagers"),
    ("categorie=ministeres", "labs"),
    ("couleur=bleu", "categorie"),
])
def test_selection_unknown_value_is_a_400_naming_valid_values(client, query, word):
    response = client.get(f"/feeds/selection.ics?{query}")
    assert response.status_code == 400
    assert word in response.data.decode() and "Requête invalide" in response.data.decode()


def test_a_400_page_lists_what_an_address_may_choose_by_from_the_vocabulary_table(client):
    from calfeed.selection import BUILDER_CRITERIA
    from calfeed.taxonomy import DIMENSION

    page = client.get("/feeds/selection.ics?couleur=bleu", headers={"Accept": "text/html"}).data.decode()
    said = re.search(r"Pour choisir par (.*?), en nommant", page).group(1)
    assert said.endswith(" ou public visé") and said.startswith("organisateur, thème")
    assert [noun.strip() for noun in re.split(r",| ou ", said)] == [DIMENSION[key].noun for key in BUILDER_CRITERIA]


def test_import_variant_and_reminder(client):
    imported = client.get("/feeds/categorie/labs.ics?usage=import").data
    assert b"X-WR-CALNAME" not in imported and b"REFRESH-INTERVAL" not in imported
    assert imported == client.get("/feeds/import/categorie/labs.ics").data
    reminded = parse_feed(client.get("/feeds/categorie/labs.ics?rappel=30").data)
    assert all(len(e.walk("VALARM")) == 1 for e in reminded.values())
    assert client.get("/feeds/tous.ics?rappel=demain").status_code == 400
    assert client.get("/feeds/tous.ics?usage=autre").status_code == 400


@pytest.mark.parametrize("path", ["/feeds/inconnu.ics", "/feeds/../sources.yaml", "/feeds/%2e%2e/%2e%2e/etc/passwd",
                                  "/feeds/categorie/../../../etc/passwd", "/feeds/categorie/labs.ics/..%2f..%2fx"])
def test_unknown_feed_is_a_404_in_french(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "root:" not in response.data.decode() and "Traceback" not in response.data.decode()


def test_page_lists_every_feed_with_links(bundled):
    from calfeed.web import create_app
    bundled.write_text(bundled.read_text(encoding="utf-8").replace('base_url: ""', "base_url: https://agenda.example"),
                       encoding="utf-8")
    page = create_app({"TESTING": True, "CALFEED_CONFIG": str(bundled)}).test_client().get("/").data.decode()
    assert '<html lang="fr">' in page
    for path in ("tous.ics", "categorie/labs.ics", "theme/transition-ecologique.ics", "tables-rondes-ditp.ics"):
        assert f"https://agenda.example/feeds/{path}" in page
        assert f"webcal://agenda.example/feeds/{path}" in page
    assert "https://outlook.office.com/calendar/0/addfromweb?url=https%3A%2F%2Fagenda.example%2Ffeeds%2Ftous.ics" in page
    # Google's undocumented `cid=` shortcut is reported to fail: its link opens the documented « From URL » form.
    assert "https://calendar.google.com/calendar/r/settings/addbyurl" in page and "cid=" not in page
    assert "19 événements" in page


def test_home_page_title_names_the_service_once(bundled):
    from calfeed.web import create_app
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(bundled)}).test_client()
    titles = [re.search(r"<title>(.*?)</title>", client.get(path).data.decode()).group(1)
              for path in ("/", "/feeds/constructeur.html")]
    assert titles[0] == "Agendas du Mois de l&#39;innovation publique 2022"
    assert titles[1] == "Composer mon agenda — " + titles[0]


def test_live_page_without_base_url_does_not_call_itself_a_copy(bundled):
    from calfeed.web import create_app
    page = create_app({"TESTING": True, "CALFEED_CONFIG": str(bundled)}).test_client().get("/").data.decode()
    assert 'base_url: ""' in bundled.read_text(encoding="utf-8")
    assert "ne s'affichent qu'avec JavaScript" in page  # what an agent without JavaScript is told
    assert "copie du site" not in page  # the live service is no copy


def test_page_escapes_event_text(project, tmp_path):
    (tmp_path / "agenda.csv").write_text("id;titre;date_debut;categorie\nx;<script>alert('x')</script>;15/11/2022;labs\n")
    from calfeed.web import create_app
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))})
    page = app.test_client().get("/feeds/evenements.html").data.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_status_page_and_json(client):
    data = client.get("/etat.json").get_json()
    assert data["events"] == 19 and data["failing"] == []
    assert {s["id"]: s["events_published"] for s in data["sources"]} == {"ditp-tables-rondes": 4, "programme-2022": 15}
    page = client.get("/etat").data.decode()
    assert "ditp-tables-rondes" in page and "Toutes les sources répondent" in page


def test_a_feed_without_events_is_a_valid_empty_calendar_with_its_name(client):
    """A subscription survives the months without events: no 404, which would leave subscribers stale."""
    assert client.get("/feeds/region/bretagne.ics").status_code == 200
    for address, name in (("/feeds/region/corse.ics", "Corse — Mois de l'innovation publique"),
                          ("/feeds/selection.ics?region=corse",
                           "Sélection : Corse — Mois de l'innovation publique")):
        empty = client.get(address)
        assert empty.status_code == 200 and parse_feed(empty.data) == {}
        calendar = Calendar.from_ical(empty.data)
        assert str(calendar["X-WR-CALNAME"]) == str(calendar["NAME"]) == name
        assert b"BEGIN:VTIMEZONE" in empty.data  # RFC 5545: a calendar holds at least one component


@pytest.mark.parametrize("path", ["/", "/feeds/tous.ics", "/feeds/categorie/labs.json", "/feeds/evenements.html",
                                  "/etat", "/etat.json", "/feeds/inconnu.ics", "/nulle-part"])
def test_every_answer_forbids_content_sniffing(client, path):
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


def test_feed_as_json_for_labs_sites(client):
    response = client.get("/feeds/categorie/labs.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    assert data["nombre"] == 3 and data["ics"] == "/feeds/categorie/labs.ics"  # no base_url: no absolute address
    first = data["evenements"][0]
    assert first["titre"] == "Anniversaire du Ti Lab" and first["debut"] == "2022-11-18"
    assert first["journee_entiere"] is True and first["lieu"]["region"] == "bretagne"
    assert first["categorie"] == "labs" and first["statut"] == "confirme"
    assert client.get(first["page"]).status_code == 200 and client.get(first["ics"]).status_code == 200
    selection = client.get("/feeds/selection.json?theme=donnees-numerique").get_json()
    assert selection["nombre"] == 4


def test_a_named_selection_without_events_is_published_empty_live_and_static(project, tmp_path, runner):
    (tmp_path / "agenda.csv").write_text("id;titre;date_debut;categorie\na;Atelier;15/11/2022;labs\n")
    from calfeed.cli import cli
    from calfeed.web import create_app
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}])
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)})
    client = app.test_client()
    assert runner.invoke(cli, ["build", "--config", str(path), "--output", str(tmp_path / "site")]).exit_code == 0
    for feed in ("tables-rondes-ditp.ics", "categorie/etat.ics"):  # no DITP event, no État event yet
        live = client.get(f"/feeds/{feed}")
        assert live.status_code == 200 and parse_feed(live.data) == {}
        assert (tmp_path / "site" / feed).read_bytes() == live.data
        assert (tmp_path / "site" / "import" / feed).is_file()
    name = Calendar.from_ical(client.get("/feeds/tables-rondes-ditp.ics").data)["X-WR-CALNAME"]
    assert str(name) == "Tables rondes de la DITP — Mois de l'innovation publique"
    assert len(parse_feed(client.get("/feeds/tous.ics").data)) == 1
    assert "tables-rondes-ditp.ics" in client.get("/").data.decode()  # offered: it will fill next edition


def test_legal_pages_take_their_texts_from_the_site_section(project, tmp_path):
    from calfeed.web import create_app
    (tmp_path / "agenda.csv").write_text("id;titre;date_debut;categorie\na;Atelier;15/11/2022;labs\n")
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}],
                   site={"operator": "Laboratoire d'essai", "contact_email": "agendas@exemple.gouv.fr",
                         "host": "Hébergeur d'essai, 1 rue de la Paix", "accessibility": "partiellement conforme"})
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)}).test_client()
    home = client.get("/").get_data(as_text=True).replace("\u00a0", " ")
    assert "Accessibilité : partiellement conforme" in home and "Laboratoire d'essai" in home.replace("&#39;", "'")
    statement = client.get("/feeds/accessibilite.html").get_data(as_text=True)
    assert "partiellement conforme" in statement and "mailto:agendas@exemple.gouv.fr" in statement
    assert "Hébergeur d" in client.get("/feeds/mentions-legales.html").get_data(as_text=True)
    assert "mailto:agendas@exemple.gouv.fr" in client.get("/feeds/contact.html").get_data(as_text=True)


def test_a_site_section_claiming_an_unknown_conformity_is_refused(project):
    from calfeed.config import load_config
    from calfeed.errors import ConfigError
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}], site={"accessibility": "conforme"})
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "« site.accessibility » : valeur refusée (lu : « conforme »)" in message and "partiellement conforme" in message
    assert "sources.yaml, ligne" in message


@pytest.mark.parametrize("path, status", [("/feeds/inconnu.ics", 404), ("/feeds/selection.ics?theme=x", 400),
                                          ("/feeds/evenements/000000000000.html", 404), ("/nulle-part", 404)])
def test_errors_are_french_html_pages_with_their_status(client, path, status):
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == status and response.headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in page and "<title>" in page and 'class="fr-header"' in page
    assert "Retour à la liste des agendas" in page


def test_a_json_address_answers_its_error_in_json(client):
    response = client.get("/feeds/inconnu.json")
    assert response.status_code == 404 and "Aucun agenda" in response.get_json()["erreur"]


def test_the_builder_gives_its_script_the_selection_table(client, app):
    import json
    import re
    from calfeed.selection import criteria_data
    page = client.get("/feeds/constructeur.html").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="calfeed-data">(.*?)</script>', page, re.S).group(1))
    offered = re.findall(r'<fieldset class="[^"]*" id="critere-([a-z]+)"', page)  # those an event fills
    assert offered == ["categorie", "theme", "region", "format", "type"]
    assert data["criteres"] == criteria_data(app.extensions["calfeed"].config.taxonomy, offered)
    hybrid = next(v for c in data["criteres"] if c["key"] == "format" for v in c["values"] if v["value"] == "presentiel")
    assert hybrid["accepts"] == ["presentiel", "hybride"]


def test_french_spacing():
    from calfeed.views import french_spacing
    assert french_spacing("Thèmes : « données » ; ok ? oui !") == \
        "Thèmes\u00a0: «\u00a0données\u00a0»\u202f; ok\u202f? oui\u202f!"
    assert french_spacing('<a href="x.html?e=1">') == '<a href="x.html?e=1">'


def test_a_single_event_file_is_named_after_its_title(client):
    import re
    page = client.get("/feeds/evenements.html").get_data(as_text=True)
    keys = re.findall(r'href="evenements/([0-9a-f]{12})\.html"', page)
    names = {client.get(f"/feeds/evenements/{key}.ics").headers["Content-Disposition"] for key in keys}
    assert 'inline; filename="anniversaire-du-ti-lab.ics"' in names


def _text(page: str) -> str:
    """A page's words as read: tags, scripts and entities gone, French no-break spaces as spaces."""
    import html
    page = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.mark.parametrize("zone", [None, "America/Cayenne"])
def test_status_page_tells_times_in_french_in_the_configured_zone(project, tmp_path, zone):
    import datetime as dt
    from zoneinfo import ZoneInfo
    from calfeed.text import french_time
    from calfeed.views import MONTHS, WEEKDAYS
    from calfeed.web import create_app
    (tmp_path / "agenda.csv").write_text("id;titre;date_debut;categorie\na;Atelier;15/11/2022;labs\n")
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}], **({"publish": {"timezone": zone}} if zone else {}))
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(path), "CALFEED_CHECK_SECONDS": 0}).test_client()
    data = client.get("/etat.json").get_json()
    published = dt.datetime.fromisoformat(data["published_at"])  # the export stays ISO 8601: it is data
    success = dt.datetime.fromisoformat(data["sources"][0]["last_success"])
    assert published.utcoffset() is not None and success.utcoffset() is not None
    page = client.get("/etat").get_data(as_text=True)
    assert "+00:00" not in page and not re.search(r"\d{4}-\d\d-\d\dT", page)
    text = _text(page)
    for moment in (published, success):
        local = moment.astimezone(ZoneInfo(zone or "Europe/Paris"))
        said = (f"{WEEKDAYS[local.weekday()]} {local.day}{'er' if local.day == 1 else ''} {MONTHS[local.month - 1]} "
                f"{local.year} à {french_time(local)}")  # « 0 h 06 », « 9 h »: the pages' one French clock
        assert said in text, (said, text)


def test_status_never_dates_a_programme_never_published(project):
    """A store that never published anything: the status says so (null in JSON) rather than give the
    placeholder date HTTP needs for Last-Modified (1 January 1970)."""
    from calfeed.config import load_config
    from calfeed.pages import status_context
    from calfeed.publish import load_programme
    from calfeed.store.owner import open_store
    config = load_config(project([{"id": "absente", "type": "csv", "path": "introuvable.csv"}]))
    store = open_store(config.store_path, config.path)
    try:
        programme = load_programme(store)
        assert programme.published_at.year == 1970  # what Last-Modified gets
        assert status_context(config, store, programme, public=True)["published_at"] is None
    finally:
        store.close()


def test_public_status_names_local_sources_as_sources_yaml_does(client, bundled):
    import yaml
    written = {s["id"]: s["path"] for s in yaml.safe_load(bundled.read_text(encoding="utf-8"))["sources"]}
    data = client.get("/etat.json")
    assert {s["id"]: s["location"] for s in data.get_json()["sources"]} == written
    page = client.get("/etat").get_data(as_text=True)
    for where in (data.get_data(as_text=True), page):
        assert str(bundled.parent) not in where and str(bundled.parent.resolve()) not in where
    assert all(f"{path})" in _text(page) for path in written.values())


@pytest.mark.parametrize("choice, gone", [("zzz", 0), ("000000000000", 1), ("", 0)])
def test_an_empty_programme_offers_no_subscription(client, choice, gone):
    page = client.get(f"/feeds/mon-programme.html?e={choice}").get_data(as_text=True)
    shown = page.partition('<script type="application/json" id="calfeed-data">')[0]  # the script's data apart
    assert 'id="abonnement-programme"' not in shown and "mon-programme.ics" not in shown  # as the builder does
    assert '<p id="programme-vide">' in page  # shown, not hidden
    assert ("1 événement de cette adresse n'est plus au programme" in _text(page)) == bool(gone)
    assert "0 événements" not in page
    key = re.search(r'href="evenements/([0-9a-f]{12})\.html"', client.get("/feeds/evenements.html").get_data(as_text=True))
    chosen = client.get(f"/feeds/mon-programme.html?e={key.group(1)}").get_data(as_text=True)
    assert 'id="abonnement-programme"' in chosen and "1 événement choisi." in _text(chosen)


def test_zero_takes_the_singular(client):
    assert "0 événement sur 19." in _text(client.get("/feeds/evenements.html?q=introuvable").get_data(as_text=True))
    assert "19 événements publiés (0 annulé)" in _text(client.get("/etat").get_data(as_text=True))
    from calfeed.views import plural
    assert [plural(n, "événement", "événements") for n in (0, 1, 2)] == ["événement", "événement", "événements"]


def test_operator_name_reads_right_whatever_its_article(project, tmp_path):
    from calfeed.web import create_app
    (tmp_path / "agenda.csv").write_text("id;titre;date_debut;categorie\na;Atelier;15/11/2022;labs\n")
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}],
                   site={"operator": "Direction interministérielle de la transformation publique (DITP)"})
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)}).test_client()
    home = _text(client.get("/").get_data(as_text=True))
    statement = _text(client.get("/feeds/accessibilite.html").get_data(as_text=True))
    assert "publiés par Direction" not in home and "Éditeur : Direction interministérielle" in home
    assert "(DITP) s'engage" not in statement and "Éditeur : Direction interministérielle" in statement
    assert "L'éditeur de ce site s'engage" in statement


def test_screen_reader_labels_never_nest_guillemets(client):
    pages = [client.get("/feeds/evenements.html").get_data(as_text=True)]
    keys = re.findall(r'href="evenements/([0-9a-f]{12})\.html"', pages[0])
    pages.append(client.get("/feeds/mon-programme.html?e=" + ",".join(keys)).get_data(as_text=True))
    pages += [client.get(f"/feeds/evenements/{key}.html").get_data(as_text=True) for key in keys]
    labels = [label for page in pages for label in re.findall(r'<span class="fr-sr-only">(.*?)</span>', page, re.S)]
    titled = [label for label in labels if "«" in label]
    assert any(label.count("«") == 1 for label in titled)  # titles quoted by their source are there
    assert not [label for label in titled if re.search(r"«[^»]*«", label)]


@pytest.mark.parametrize("path", ["/", "/feeds/constructeur.html", "/feeds/evenements.html", "/feeds/mon-programme.html",
                                  "/feeds/accessibilite.html", "/feeds/mentions-legales.html", "/etat"])
def test_pages_space_their_punctuation_the_french_way(client, path):
    import html
    page = re.sub(r"<script.*?</script>", "", client.get(path).get_data(as_text=True), flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert not re.findall(r".{12}[^\u202f\s][;!?](?=\s).{0,12}", text)


def test_a_search_that_finds_nothing_says_so(client):
    empty = client.get("/feeds/evenements.html?q=zzzzqq").get_data(as_text=True)
    assert '<p id="aucun-evenement">' in empty  # shown without JavaScript, with a way back to the whole list
    assert "Aucun événement ne correspond à cette recherche ou à ces filtres." in _text(empty)
    assert '<p id="aucun-evenement" hidden>' in client.get("/feeds/evenements.html?q=table").get_data(as_text=True)


def _configured(bundled, **publish):
    from calfeed.web import create_app
    text = bundled.read_text(encoding="utf-8")
    for key, value in publish.items():
        text = text.replace('  base_url: ""', f'  base_url: ""\n  {key}: {value}', 1)
    bundled.write_text(text, encoding="utf-8")
    return create_app({"TESTING": True, "CALFEED_CONFIG": str(bundled)})


def test_links_come_from_a_declared_proxy_never_from_a_client_host(bundled):
    """With an empty base_url, the subscribe links are written from the address the declared proxy forwards
    (ProxyFix); without a declared proxy, a Host header a client sets is never believed: the page says what
    the team should configure."""
    forwarded = {"X-Forwarded-Host": "agenda.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"}
    plain = _configured(bundled).test_client()
    page = plain.get("/", headers={"Host": "pirate.example", **forwarded}).data.decode()
    assert "pirate.example" not in page and "agenda.example" not in page and "href=\"webcal://" not in page
    assert "publish.base_url" in page and "publish.proxy_hops" in page  # the notice, visible without script
    behind = _configured(bundled, proxy_hops=1).test_client()
    page = behind.get("/", headers=forwarded).data.decode()
    assert 'href="webcal://agenda.example/feeds/tous.ics"' in page
    assert "addfromweb?url=https%3A%2F%2Fagenda.example%2Ffeeds%2Ftous.ics" in page
    assert "publish.proxy_hops" not in page
    listing = behind.get("/feeds/evenements.html", headers=forwarded).data.decode()
    event = re.search(r'href="(evenements/[0-9a-f]{12}\.html)"', listing).group(1)
    page = behind.get("/feeds/" + event, headers=forwarded).data.decode()
    assert '"url": "https://agenda.example/feeds/evenements/' in page


def test_every_client_has_one_choice_with_what_it_does(client):
    from calfeed.links import CLIENTS
    page = client.get("/feeds/index.html").data.decode()
    for label in ("Outlook (Microsoft 365, nouvel Outlook, Outlook sur le web)", "Outlook classique (Windows)",
                  "Google Agenda", "Apple Calendrier (Mac, iPhone, iPad)", "Thunderbird",
                  "Autre agenda (Zimbra, BlueMind, webmail…)"):
        assert label in page.replace("\u00a0", " ").replace("\u202f", " ")
    assert all(client.refresh or client.part_of for client in CLIENTS)
    assert page.count('href="#adresse-tous"') == 1  # « autre agenda » leads to the address to copy


def test_event_pages_speak_as_agents_do_and_describe_the_event_completely(client):
    import json
    from calfeed.text import paragraphs
    from zoneinfo import ZoneInfo
    from calfeed.views import when
    from test_render import make_event
    cayenne = ZoneInfo("America/Cayenne")
    assert when(make_event(), "Europe/Paris") == "mardi 14 juin 2022, 14 h – 16 h"
    in_cayenne = make_event(start=dt.datetime(2022, 11, 3, 9, 30, tzinfo=cayenne), end=dt.datetime(
        2022, 11, 3, 11, tzinfo=cayenne), timezone="America/Cayenne")
    assert when(in_cayenne, "Europe/Paris") == "jeudi 3 novembre 2022, 9 h 30 – 11 h, heure de Cayenne (UTC−3)"
    # A programme published in Cayenne (publish.timezone) names the zones other than its own.
    assert when(in_cayenne, "America/Cayenne") == "jeudi 3 novembre 2022, 9 h 30 – 11 h"
    assert when(make_event(), "America/Cayenne").endswith("heure de Paris (UTC+2)")
    listing = client.get("/feeds/evenements.html").data.decode()
    keys = set(re.findall(r'href="evenements/([0-9a-f]{12})\.html"', listing))
    modes = set()
    for key in keys:
        page = client.get(f"/feeds/evenements/{key}.html").data.decode()
        data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
        assert data["location"] and data["organizer"]["name"] and data["eventAttendanceMode"], key
        locations = data["location"] if isinstance(data["location"], list) else [data["location"]]
        modes.add(data["eventAttendanceMode"].rsplit("/", 1)[1])
        if data["eventAttendanceMode"].endswith("OnlineEventAttendanceMode"):
            assert [place["@type"] for place in locations] == ["VirtualLocation"], key
    assert {"OfflineEventAttendanceMode", "OnlineEventAttendanceMode", "MixedEventAttendanceMode"} <= modes
    html = str(paragraphs("Un <b>atelier</b>\nsur deux lignes.\n\nInscription : https://lab.example/a?x=1&y=2."))
    assert html == ('<p>Un &lt;b&gt;atelier&lt;/b&gt;<br>\nsur deux lignes.</p>\n<p>Inscription : '
                    '<a href="https://lab.example/a?x=1&amp;y=2" rel="noopener nofollow">https://lab.example/a?x=1&amp;y=2</a>.</p>')


def test_zones_are_named_as_agents_say_them():
    from zoneinfo import ZoneInfo
    from calfeed.text import french_time, zone_name
    assert zone_name(dt.datetime(2022, 11, 3, 9, tzinfo=ZoneInfo("America/Cayenne")), "America/Cayenne") == \
        "heure de Cayenne (UTC−3)"
    assert zone_name(dt.datetime(2022, 11, 3, 9, tzinfo=ZoneInfo("Indian/Reunion")), "Indian/Reunion") == \
        "heure de La Réunion (UTC+4)"
    assert french_time(dt.datetime(2022, 11, 3, 9)) == "9 h" and french_time(dt.datetime(2022, 11, 3, 14, 5)) == "14 h 05"


def test_help_and_legal_pages_are_complete(client):
    for path in ("/feeds/aide.html", "/feeds/plan-du-site.html", "/feeds/donnees-personnelles.html"):
        assert client.get(path).status_code == 200, path
    footer = client.get("/feeds/contact.html").data.decode()
    for site in ("legifrance.gouv.fr", "info.gouv.fr", "service-public.fr", "data.gouv.fr"):
        assert f'href="https://www.{site}"' in footer
    assert 'href="plan-du-site.html"' in footer and 'href="donnees-personnelles.html"' in footer
    statement = client.get("/feeds/accessibilite.html").data.decode()
    assert "https://formulaire.defenseurdesdroits.fr/" in statement and 'href="contact.html"' in statement
    help_page = client.get("/feeds/aide.html").data.decode()
    assert "ANNULÉ" in help_page and "Thunderbird ne réimporte pas" in help_page
    site_map = client.get("/feeds/plan-du-site.html").data.decode()
    for page in ("constructeur.html", "evenements.html", "mon-programme.html", "aide.html", "accessibilite.html"):
        assert f'href="{page}"' in site_map


def test_a_bad_selection_leads_to_the_builder(client):
    page = client.get("/feeds/selection.ics?theme=inconnu")
    assert page.status_code == 400 and 'href="/feeds/constructeur.html"' in page.data.decode()


def test_the_builder_offers_the_whole_vocabulary_with_counts(client):
    from calfeed.taxonomy import REGIONS
    page = client.get("/feeds/constructeur.html").data.decode()
    for region in REGIONS:
        assert f'id="region-{region.slug}"' in page
    assert re.search(r'for="region-corse">Corse&nbsp;<span class="nombre">\(0\)</span>', page)
    assert 'id="type-table-ronde"' in page  # every public criterion: the static builder reads the same table
