"""The page script keeps no copy of a rule: it applies the data the server gives it. These tests run the
shipped calfeed.js under node on that data and compare each answer with the Python it was taken from."""

import datetime as dt
import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from calfeed.addresses import import_path, parse_selection, personal_feed, personal_page
from calfeed.links import subscribe_links
from calfeed.pages import _widen, events_context
from calfeed.publish import load_programme
from calfeed.refresh import refresh_sources
from calfeed.script_data import PHRASES, SCRIPT_PHRASES, _FOLD_SCOPE, events_data, fold_exceptions, page_data
from calfeed.selection import BUILDER_CRITERIA, vocabulary_of
from calfeed.text import fold
from calfeed.views import Where, french_spacing, subscription
from helpers import open_project

SCRIPT = Path(__file__).resolve().parent.parent / "src" / "calfeed" / "static" / "calfeed.js"
NODE = shutil.which("node")
# Reads {data, folding, calls: [[function, arguments…], …]} on stdin, answers each call's result.
RUNNER = """
const rules = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const { data, folding, calls, events } = JSON.parse(input);
  const rule = rules(data, folding);
  const answers = calls.map(([name, ...args]) => {
    if (name === "count") { return events.filter((e) => rule.matches(args[0], e.valeurs)).length; }
    if (name === "widened") {
      return rule.widened(args[0], events).map((w) => ({label: w.label, count: w.count, query: w.query}));
    }
    if (name === "search") { return events.filter((e) => rule.found(args[0], e.texte)).map((e) => e.cle); }
    return rule[name](...args);
  });
  process.stdout.write(JSON.stringify(answers));
});
"""
NOW = dt.datetime(2022, 10, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundled")
    root = Path(__file__).resolve().parent.parent
    shutil.copy(root / "sources.yaml", folder / "sources.yaml")
    shutil.copytree(root / "data", folder / "data")
    config, store = open_project(folder / "sources.yaml")
    refresh_sources(config, store, now=NOW)
    return config, load_programme(store)


def run_script(config, programme, calls):
    if NODE is None:
        pytest.skip("node n'est pas installé : la comparaison avec le script de la page est sautée")
    data = json.loads(str(page_data(config, "constructeur", BUILDER_CRITERIA)))
    data["phrases"] = {name: counted.forms() for name, counted in PHRASES.items()}  # every page's, together
    file = json.loads(events_data(programme, config.timezone))
    stdin = json.dumps({"data": data, "folding": file["pliage"], "events": file["evenements"], "calls": calls})
    done = subprocess.run([NODE, "-e", RUNNER, str(SCRIPT)], input=stdin, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sentences_with_a_number_say_what_python_says(site):
    values = {"titre": "L’atelier « FALC » ?", "label": "Île-de-France", "total": 19}
    phrases = {name for names in SCRIPT_PHRASES.values() for name in names}
    cases = [(name, count) for name in sorted(phrases) for count in (0, 1, 2, 3, 10, 21)]
    said = " ".join(re.findall(r"say\(([^,]*),", SCRIPT.read_text(encoding="utf-8")))
    assert set(re.findall(r'"(\w+)"', said)) == phrases  # each one a page gives, and only those
    answers = run_script(*site, [["say", name, count, values] for name, count in cases])
    assert answers == [PHRASES[name].say(count, **values) for name, count in cases]
    assert PHRASES["choisis"].say(0) == "0 événement choisi" and PHRASES["choisis"].say(2) == "2 événements choisis"
    assert PHRASES["sans"].say(1, label="Occitanie") == "Sans «\u00a0Occitanie\u00a0»\u00a0: 1 événement"


WORDS = ["Écologie", "ŒUVRE et cœur", "ﬁnance", "L’État", "aujourd'hui", "Straße", "ẞ", "ÇA VA", "naïve", "Ἀθῆναι",
         "Ｆｕｌｌ", "ﬀ", "Æsop", "São Tomé", "İstanbul", "ǅ", "Ǆ", "ΣΟΦΟΣ", "ﬆ", "½", "ŉ", "Ĳssel", "ﬅ", "ᾳ"]


def test_folding_what_the_agent_types_folds_as_python(site):
    config, programme = site
    singles = [chr(code) for scope in _FOLD_SCOPE for code in scope]
    texts = WORDS + [item.event.title for item in programme.items] + singles
    answers = run_script(config, programme, [["fold", text] for text in texts])
    assert dict(zip(texts, answers, strict=True)) == {text: fold(text) for text in texts}
    assert "ß" in fold_exceptions() and "é" not in fold_exceptions()  # the table holds only the differences


def test_the_word_search_finds_what_the_server_finds(site):
    config, programme = site
    queries = ["atelier", "ÉCOLOGIE", "innovation publique", "l’innovation", "numerique", "FALC", "paris", "zzz", ""]
    answers = run_script(config, programme, [["search", query] for query in queries])
    for query, keys in zip(queries, answers, strict=True):
        served = events_context(config, programme, Where("", ""), {"q": [query]} if query else {})
        assert keys == [view["key"] for view in served["events"]], query
    assert any(answers) and not answers[queries.index("zzz")]


def selections(config):
    """Every value alone, two values of one criterion, and one value of each of two criteria."""
    values = [(key, term.slug) for key in BUILDER_CRITERIA for term in vocabulary_of(config.taxonomy, key).terms]
    found = [{}] + [{key: [slug]} for key, slug in values]
    for key in BUILDER_CRITERIA:
        slugs = [term.slug for term in vocabulary_of(config.taxonomy, key).terms]
        found += [{key: [a, b]} for a, b in itertools.combinations(slugs[:4], 2)]
    for (key_a, a), (key_b, b) in itertools.combinations(values[::3], 2):
        if key_a != key_b:
            found.append({key_a: [a], key_b: [b]})
    return found


def test_a_composed_calendar_is_named_counted_and_addressed_as_the_server_does(site):
    config, programme = site
    chosen = selections(config)
    answers = run_script(config, programme, [call for selection in chosen
                                             for call in (["describe", selection], ["count", selection])])
    counted = 0
    for selection, described, count in zip(chosen, answers[::2], answers[1::2], strict=True):
        feed = parse_selection(config, selection)
        assert described == {"name": feed.name, "shown": french_spacing(feed.name),
                             "query": feed.path.partition("?")[2]}, selection
        assert count == len(programme.select(feed.filters)), selection
        counted += bool(count)
    assert counted > 10 and len(chosen) > 50


NAMES = ["Tout le programme — Mois de l'innovation publique", "Sélection : Occitanie · en ligne — L’été !",
         "Q&A (FALC) * 100% « données » ?", "Espace  double/slash+plus"]
URLS = ["https://agendas.example.gouv.fr/feeds/selection.ics?theme=donnees&format=en-ligne",
        "http://127.0.0.1:5000/feeds/mon-programme.ics?e=0123456789ab%2Cabcdefabcdef", "https://x.fr/feeds/tous.ics"]


def test_client_links_and_the_import_variant_are_the_server_s(site):
    config, programme = site
    pairs = [(url, name) for url in URLS for name in NAMES]
    feeds = [parse_selection(config, selection) for selection in selections(config)[:12]]
    feeds += [personal_feed(config, ["abcdefabcdef,0123456789ab"]), personal_feed(config, [])]
    calls = [["subscribeLinks", url, name] for url, name in pairs] + [["importPath", feed.path] for feed in feeds]
    answers = run_script(config, programme, calls)
    assert answers[:len(pairs)] == [subscribe_links(url, name) for url, name in pairs]
    assert answers[len(pairs):] == [import_path(feed.path) for feed in feeds]
    where = Where("", "https://agendas.example.gouv.fr")  # the page's own links follow the same rule
    assert [subscription(feed, where)["import_url"] for feed in feeds[-2:]] == \
        [where.absolute(import_path(feed.path)) for feed in feeds[-2:]]
    assert answers[len(pairs)] == "import/selection.ics"  # nothing ticked: the file of the import folder
    assert answers[-2:] == ["mon-programme.ics?e=0123456789ab%2Cabcdefabcdef&usage=import",
                            "mon-programme.ics?e=&usage=import"]


def test_my_programme_s_addresses_are_the_server_s(site):
    config, programme = site
    choices = [[], ["abcdefabcdef"], ["abcdefabcdef,0123456789ab", "0123456789ab"], ["ABCDEFABCDEF", "zz", "abc"],
               ["ffffffffffff", "000000000000,aaaaaaaaaaaa,"]]
    answers = run_script(config, programme, [[name, keys] for keys in choices
                                             for name in ("programmePage", "programmeFeed")])
    assert answers == [value for keys in choices for value in (personal_page(keys), personal_feed(config, keys).path)]


def test_an_empty_choice_is_widened_as_the_server_widens_it(site):
    config, programme = site
    empty = [selection for selection in selections(config)
             if not programme.select(parse_selection(config, selection).filters)]
    answers = run_script(config, programme, [["widened", selection] for selection in empty])
    for selection, widened in zip(empty, answers, strict=True):
        served = _widen(config, programme, Where("", ""), parse_selection(config, selection))
        assert [(w["label"], w["count"], "constructeur.html" + ("?" + w["query"] if w["query"] else ""))
                for w in widened] == [(w["label"], w["count"], w["href"]) for w in served], selection
    assert any(answers) and len(empty) > 5


def test_the_live_site_and_the_static_tree_give_the_same_events_file(client, app, tmp_path):
    from calfeed.pages import static_pages
    site = app.extensions["calfeed"]
    served = client.get("/feeds/evenements.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    events = served.get_json()["evenements"]
    assert sorted(e["cle"] for e in events) == sorted(site.programme().by_key)
    assert all(e["page"] == f"evenements/{e['cle']}.html" and e["texte"] == fold(e["texte"]) for e in events)
    written = dict((path, body) for path, body in static_pages(site.config, site.programme(), NOW, event_pages=False)
                   if path == "evenements.json")
    assert written == {"evenements.json": served.data}
    page = client.get("/feeds/evenements.html").get_data(as_text=True)
    assert '<script type="application/json" id="calfeed-data">' in page and "data-categorie" not in page
