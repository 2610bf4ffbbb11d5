"""Editions: the configured edition decides what the site says at a given moment; calendar names carry no
year and stay right next year; each event says which edition it belongs to."""

import datetime as dt
import re

import pytest

from calfeed.addresses import feed_catalogue
from calfeed.config import load_config
from calfeed.errors import ConfigError
from calfeed.pages import home_context, render_page
from calfeed.publish import load_programme, publish_events
from calfeed.refresh import refresh_sources
from calfeed.views import Where
from helpers import open_project, parse_feed

BASE = """\
edition:
  name: Mois de l'innovation publique 2022
  start: 2022-11-02
  end: 2022-11-30
{extra}sources:
  - id: ditp
    type: ics
    path: a.ics
    category: labs
categories:
  labs: Labs
"""
NEXT = """\
  next:
    name: Mois de l'innovation publique 2023
    start: 2023-11-06
    end: 2023-11-30
"""


def write(tmp_path, extra=""):
    path = tmp_path / "sources.yaml"
    path.write_text(BASE.format(extra=extra), encoding="utf-8")
    return path


def test_the_next_edition_and_the_series_are_read(tmp_path):
    config = load_config(write(tmp_path, NEXT))
    assert config.editions.next.name == "Mois de l'innovation publique 2023"
    assert config.editions.next.start == dt.date(2023, 11, 6)
    assert config.editions.series == "Mois de l'innovation publique"  # the name less its year
    named = load_config(write(tmp_path, "  series: Le Mois de l'innovation\n"))
    assert named.editions.series == "Le Mois de l'innovation"


@pytest.mark.parametrize("extra, said", [
    ("  next:\n    name: Suivante\n    start: 2022-11-20\n",
     "ligne 7 : « edition.next.start » (2022-11-20) doit suivre la fin de l'édition en cours (2022-11-30)."),
    ("  next:\n    start: 2023-11-06\n", "ligne 5 : « edition.next » : indiquez le nom de la prochaine édition"),
    ("  next:\n    name: Suivante\n    debut: 2023-11-06\n", "ligne 7 : debut : clé inconnue"),
    ("  past:\n    - name: 2021\n      start: 2021-11-30\n      end: 2021-11-02\n",
     "« edition.past.end » (2021-11-02) précède « edition.past.start » (2021-11-30)."),
])
def test_edition_mistakes_name_the_line(tmp_path, extra, said):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, extra))
    assert said in str(error.value)


def test_calendar_names_begin_with_what_tells_them_apart_and_carry_no_year(bundled):
    config = load_config(bundled)
    names = [feed.name for feed in feed_catalogue(config)]
    assert names[:2] == ["Tout le programme — Mois de l'innovation publique",
                         "Laboratoires d'innovation territoriale — Mois de l'innovation publique"]
    assert "Tables rondes de la DITP — Mois de l'innovation publique" in names
    assert not [name for name in names if re.search(r"\b20\d\d\b", name)]
    assert len({name[:20] for name in names}) == len(names)  # Outlook's pane shows the start of each


def _home(config, programme, now) -> str:
    html = render_page("index.html", home_context(config, programme, Where("", ""), now))
    section = html[html.index('id="edition"'):html.index('id="titre-aide"')]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).replace("&#39;", "'")


def test_the_home_page_says_where_the_edition_stands(bundled):
    text = bundled.read_text(encoding="utf-8").replace("  end: 2022-11-30\n", "  end: 2022-11-30\n" + NEXT, 1)
    bundled.write_text(text, encoding="utf-8")
    config, store = open_project(bundled)
    refresh_sources(config, store, now=dt.datetime(2022, 10, 1, tzinfo=dt.UTC))
    programme = load_programme(store)
    before = _home(config, programme, dt.datetime(2022, 10, 1, tzinfo=dt.UTC))
    assert "À venir" in before and "Prochains événements" not in before
    assert "du mercredi 2 novembre 2022 au mercredi 30 novembre 2022" in before
    assert "Table ronde « L’innovation au service des territoires »" in before
    during = _home(config, programme, dt.datetime(2022, 11, 18, 12, tzinfo=dt.UTC))
    assert "Prochains événements" in during and "Innovations RH et managériales à la CNAV" in during
    assert "Table ronde « L’innovation au service des territoires »" not in during  # past already
    after = _home(config, programme, dt.datetime(2023, 1, 15, tzinfo=dt.UTC))
    assert "Mois de l'innovation publique 2022 : édition terminée" in after
    assert "Prochains événements" not in after and "Table ronde" not in after
    assert "Son programme reste consultable : les 19 événements de l'édition" in after
    assert "Prochaine édition : Mois de l'innovation publique 2023, du lundi 6 novembre 2023 au jeudi 30 " \
           "novembre 2023." in after


def test_each_event_carries_its_own_edition(project, tmp_path):
    (tmp_path / "agenda.csv").write_text(
        "id;titre;date_debut;categorie\na;Atelier 2021;15/11/2021;labs\nb;Atelier 2022;15/11/2022;labs\n"
        "c;Atelier 2023;14/11/2023;labs\n", encoding="utf-8")
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}], edition={
        "name": "Mois de l'innovation publique 2022", "start": "2022-11-02", "end": "2022-11-30",
        "next": {"name": "Mois de l'innovation publique 2023", "start": "2023-11-06", "end": "2023-11-30"},
        "past": [{"name": "Mois de l'innovation publique 2021", "start": "2021-11-02", "end": "2021-11-30"}]})
    config, store = open_project(path)
    refresh_sources(config, store, now=dt.datetime(2022, 10, 1, tzinfo=dt.UTC))
    from calfeed.feeds import feed_bytes
    from calfeed.addresses import FeedRequest
    feed = feed_bytes(config, load_programme(store), FeedRequest(feed_catalogue(config)[0]))
    for uid, event in parse_feed(feed).items():
        year = str(event["SUMMARY"])[-4:]
        assert f"Mois de l'innovation publique {year}" in [str(c) for c in event["CATEGORIES"].cats], uid
        assert str(event["DESCRIPTION"]).startswith(f"Mois de l'innovation publique {year}")


def test_next_year_s_home_page_never_shows_last_year_s_events_to_come(bundled):
    """Rolled over to 2023 before any 2023 event is known: « À venir », 0 event, the 2022 ones kept apart."""
    config, store = open_project(bundled)
    refresh_sources(config, store, now=dt.datetime(2022, 10, 1, tzinfo=dt.UTC))
    before = {item.event.uid: item.vevent for item in load_programme(store).items}
    text = bundled.read_text(encoding="utf-8").replace(
        "edition:\n  name: Mois de l'innovation publique 2022\n  start: 2022-11-02\n  end: 2022-11-30\n",
        "edition:\n  name: Mois de l'innovation publique 2023\n  start: 2023-11-06\n  end: 2023-11-30\n"
        "  past:\n    - {name: Mois de l'innovation publique 2022, start: 2022-11-02, end: 2022-11-30}\n")
    bundled.write_text(text, encoding="utf-8")
    config = load_config(bundled)
    assert config.editions.series == "Mois de l'innovation publique"  # every calendar keeps its name
    publish_events(config, store, now=dt.datetime(2023, 6, 1, tzinfo=dt.UTC))
    assert {item.event.uid: item.vevent for item in load_programme(store).items} == before  # byte for byte
    home = _home(config, load_programme(store), dt.datetime(2023, 6, 1, tzinfo=dt.UTC))
    assert "À venir" in home and "0 événement au programme" in home
    assert "Table ronde" not in home and "2022" not in home
