"""Hostile and unusual source files (tests/hostile/, issue 19): each one, beside an ordinary witness source,
goes through `fetch`, `check`, `build`, `preview` and the live app, each step bounded in CPU and wall clock.

Every `tests/hostile/<name>.<ics|csv|json|xlsx>` with its `<name>.expect.json` is picked up, without code
changes. `<name>` is `<class>-<what>` (classes: recurrence, dates, zones, identity, damage, encoding,
truncation, bombs, privacy…). The expectation file holds:

    type        the source's type in sources.yaml (ics, csv, json, openagenda, xlsx)
    why         what the file shows (free text)
    published   how many events (occurrences) of the file are published in tous.ics
    rejected    how many events are reported rejected
    failed      true if the whole source is reported failed or held (none of it published)
    messages    optional: substrings that must appear in `calfeed check --no-fetch`
    starts_utc  optional: the published start instants, "2022-11-14T09:00:00Z" (a date alone for all-day)
    source      optional: more keys of the source in sources.yaml (timezone, preset, columns…)

The hostile source is `hostile` (category labs, zone Europe/Paris unless `source` says otherwise); the
witness is tests/hostile/witness/temoin.csv.
Each file runs in its own process (this very file, run as a script): a hang or a memory blow-up kills that
process, never the suite, and the test says which step it was. `make test` runs a sample (`_representatives`);
the others are marked `slow` (`make test-complet`).

Asserted for each file: no step crashes (no traceback) nor exceeds its bounds (STEP_CPU_SECONDS of CPU,
STEP_SECONDS of wall clock); the witness's events are published exactly as they are when the witness is
alone, by the build and by the live app; `fetch` and `check` exit 1 exactly when the source fails; every .ics the
build writes parses with icalendar, and so does the live `/feeds/tous.ics`; the hostile source's published,
rejected and failed counts, the messages of `calfeed check --no-fetch` and the published start instants
are the expected ones.
"""

import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOSTILE = HERE / "hostile"
WITNESS = HOSTILE / "witness" / "temoin.csv"
ARTIFACTS = ROOT / "test-artifacts"
EXPECTED_KEYS = {"type", "why", "published", "rejected", "failed", "messages", "starts_utc", "source"}

# One step of one file: CPU seconds (the README's budget is 5 s per source: this is twice that), and wall-clock
# seconds for a step that waits instead of working (generous: the machine may be shared).
STEP_CPU_SECONDS = 10
STEP_SECONDS = 60
PROCESS_SECONDS = 180  # the whole file, startup included: only a watchdog that failed would reach it
# The whole file's CPU, enforced by the kernel (SIGXCPU): it ends a loop that holds the GIL, which the
# watchdog thread could not interrupt.
PROCESS_CPU_SECONDS = 60
MEMORY_BYTES = 3 << 30  # address space of one file's process: a memory blow-up fails the file, not the machine
OUTPUT_KEPT = 20_000  # characters of each command's output kept for the assertions
# Lines of a VEVENT that depend on when it was first published, not on the source.
TIMESTAMPS = ("DTSTAMP", "LAST-MODIFIED", "CREATED")


def hostile_names() -> list[str]:
    return sorted(path.name.removesuffix(".expect.json") for path in HOSTILE.glob("*.expect.json"))


def _data_file(name: str) -> Path:
    candidates = [path for path in HOSTILE.glob(f"{name}.*") if not path.name.endswith(".expect.json")]
    assert len(candidates) == 1, f"tests/hostile/{name}: one data file expected beside its .expect.json, " \
                                 f"found {[p.name for p in candidates]}"
    return candidates[0]


# -- the child: one file, every step, in one process ------------------------------------------------------

def _project(folder: Path, data: Path | None, expect: dict) -> Path:
    """A project folder holding the witness and the hostile file, and its sources.yaml."""
    import yaml
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(WITNESS, folder / WITNESS.name)
    document = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    document["store"] = {"path": "store/calfeed.sqlite"}
    document["sources"] = [{"id": "temoin", "type": "csv", "path": WITNESS.name, "timezone": "Europe/Paris"}]
    if data is not None:
        shutil.copy(data, folder / data.name)
        document["sources"].append({"id": "hostile", "type": expect["type"], "path": data.name, "category": "labs",
                                    "timezone": "Europe/Paris", **expect.get("source", {})})
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _unfolded(component) -> list[str]:
    text = component.to_ical().decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")
    return [line for line in text.split("\r\n") if line and not line.startswith(TIMESTAMPS)]


def _start(component) -> str:
    start = component.decoded("DTSTART")
    if isinstance(start, dt.datetime):
        if start.tzinfo is None:
            return start.isoformat() + " (flottante)"
        return start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return start.isoformat()


def _feed_summary(data: bytes, sources: dict) -> dict:
    """The witness's events (their lines, timestamps aside) and the hostile source's starts, of one feed."""
    from icalendar import Calendar
    witness, starts = {}, []
    for component in Calendar.from_ical(data).walk("VEVENT"):
        uid = str(component["UID"])
        if sources.get(uid) == "temoin":
            witness[uid] = _unfolded(component)
        elif sources.get(uid) == "hostile":
            starts.append(_start(component))
    return {"witness": witness, "starts": sorted(starts)}


def _published_sources(folder: Path) -> dict:
    from calfeed.store import Store
    store = Store(folder / "store" / "calfeed.sqlite")
    try:
        return {row.uid: row.source_id for row in store.published()}
    finally:
        store.close()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_file(name: str | None, folder: Path, result_path: Path):
    """Every step for one file (the witness alone when `name` is None), recording as it goes; a watchdog
    ends the process if one step outlives its bounds."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (PROCESS_CPU_SECONDS, PROCESS_CPU_SECONDS + 5))
    from click.testing import CliRunner

    from calfeed.cli import cli

    data = _data_file(name) if name else None
    expect = json.loads((HOSTILE / f"{name}.expect.json").read_text(encoding="utf-8")) if name else {}
    result = {"steps": {}, "hung": None}

    def save():
        result_path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")

    def step(label, action):
        started, cpu = time.monotonic(), _cpu()
        done = threading.Event()

        def watch():  # a step that outlives its bound ends the process: the parent reports which step
            while not done.wait(0.1):
                if _cpu() - cpu > STEP_CPU_SECONDS or time.monotonic() - started > STEP_SECONDS:
                    result["hung"] = label
                    save()
                    os._exit(3)
        threading.Thread(target=watch, daemon=True).start()
        try:
            outcome = action()
        except Exception:  # recorded for the assertion in the parent: a crash is what this test looks for
            outcome = {"crash": traceback.format_exc()}
        done.set()
        outcome["seconds"] = round(time.monotonic() - started, 3)
        outcome["cpu"] = round(_cpu() - cpu, 3)
        result["steps"][label] = outcome
        save()
        return outcome

    def command(*args):
        def invoke():
            answer = CliRunner().invoke(cli, [*args])
            crash = None
            if answer.exception is not None and not isinstance(answer.exception, SystemExit):
                crash = "".join(traceback.format_exception(*answer.exc_info))
            return {"exit": answer.exit_code, "output": answer.output[-OUTPUT_KEPT:], "crash": crash}
        return invoke

    config = _project(folder / "projet", data, expect)
    step("fetch", command("fetch", "--config", str(config)))
    step("check", command("check", "--config", str(config)))
    step("check --no-fetch", command("check", "--no-fetch", "--config", str(config)))
    feeds = folder / "projet" / "feeds"
    step("build", command("build", "--no-fetch", "--config", str(config), "--output", str(feeds)))
    if name:
        step("preview", command("preview", "--config", str(config), "hostile"))

    def status():
        from calfeed.config import load_config
        from calfeed.pages import status_context
        from calfeed.publish import load_programme
        from calfeed.store.owner import open_store
        loaded = load_config(config)
        store = open_store(loaded.store_path, loaded.path)
        try:
            context = status_context(loaded, store, load_programme(store))
        finally:
            store.close()
        return {"sources": {s["id"]: {"ok": s["ok"], "rejected": len(s["rejected"]), "held": len(s["held"])}
                            for s in context["sources"]}}
    step("status", status)

    def built():
        from icalendar import Calendar
        sources = _published_sources(folder / "projet")
        unreadable = []
        for path in sorted(feeds.rglob("*.ics")):
            try:
                Calendar.from_ical(path.read_bytes())
            except Exception as exc:  # icalendar raises ValueError and others: each is a finding
                unreadable.append(f"{path.relative_to(feeds)} : {type(exc).__name__}: {exc}")
        tous = feeds / "tous.ics"
        summary = _feed_summary(tous.read_bytes(), sources) if tous.exists() else None
        return {"unreadable": unreadable, "tous": summary, "files": len(list(feeds.rglob("*.ics")))}
    step("feeds", built)

    live = _project(folder / "direct", data, expect)  # a store of its own: the app's start reads the sources

    def app():
        from calfeed.web import create_app
        application = create_app({"TESTING": True, "CALFEED_CONFIG": str(live)})
        try:
            client = application.test_client()
            answer = client.get("/feeds/tous.ics")
            etat = client.get("/etat")
            summary = None
            if answer.status_code == 200:
                summary = _feed_summary(answer.data, _published_sources(folder / "direct"))
            return {"status": answer.status_code, "etat": etat.status_code, "tous": summary}
        finally:
            application.extensions["calfeed"].store.close()
    step("app", app)
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    save()


# -- the parent: one process per file, two at a time ------------------------------------------------------

def _launch(name: str | None, folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    result_path = folder / "resultat.json"
    started = time.monotonic()
    try:
        process = subprocess.run([sys.executable, str(Path(__file__).resolve()), name or "", str(folder),
                                  str(result_path)], cwd=folder, capture_output=True, timeout=PROCESS_SECONDS,
                                 env={**os.environ, "PYTHONWARNINGS": "ignore"})
        stderr, code = process.stderr.decode("utf-8", "replace"), process.returncode
    except subprocess.TimeoutExpired as exc:
        stderr, code = f"processus tué après {PROCESS_SECONDS} s\n{(exc.stderr or b'').decode('utf-8', 'replace')}", None
    result = json.loads(result_path.read_text(encoding="utf-8")) if result_path.exists() else {"steps": {}, "hung": None}
    result.update(returncode=code, stderr=stderr[-OUTPUT_KEPT:], seconds=round(time.monotonic() - started, 2))
    return result


def _representatives(names: list[str]) -> set[str]:
    """The part of the corpus `make test` runs through every step in a process of its own: one file of each type
    taken outside the bombs (the costly ones), the first bomb, and the first file of each class whose content
    tests/test_hostile_content.py does not check in process. The rest is marked `slow` (`make test-complet`)."""
    from test_hostile_content import CLASSES
    chosen = {}
    for name in sorted(names, key=lambda name: (name.startswith("bombs-"), name)):
        chosen.setdefault(_data_file(name).suffix, name)
    for name in sorted(names):
        kind = name.split("-")[0]
        if kind == "bombs" or kind not in CLASSES:
            chosen.setdefault(kind, name)
    return set(chosen.values())


def hostile_params() -> list:
    names = hostile_names()
    fast = _representatives(names)
    return [pytest.param(name, marks=() if name in fast else pytest.mark.slow) for name in names]


@pytest.fixture(scope="module")
def witness_alone(tmp_path_factory):
    """The witness's events when it is the only source (once per module, in each test process)."""
    return _launch(None, tmp_path_factory.mktemp("hostile") / "_temoin")


@pytest.fixture(scope="module")
def measures():
    """Each file's run, kept for test-artifacts/hostile.md (written when the module ends)."""
    results = {}
    yield results
    _write_measures(results)


def _write_measures(results: dict):
    """test-artifacts/hostile.md: for each file, what it got and what it cost (for the issue's closing table).

    Each run is also kept as test-artifacts/hostile/<name>.json, so that test processes running parts of the
    corpus side by side (pytest -n) each rewrite the whole table from every run of the session."""
    folder = ARTIFACTS / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    for name, result in results.items():
        (folder / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    names = set(hostile_names())
    results = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")
               if path.stem in names}
    lines = ["| fichier | publiés | rejetés | échec | étape la plus lente | CPU total | mémoire max |",
             "|---|---|---|---|---|---|---|"]
    for name, result in sorted(results.items()):
        steps = result.get("steps", {})
        if result.get("hung") or "app" not in steps:
            lines.append(f"| {name} | — | — | — | {result.get('hung') or 'inachevé'} | — | — |")
            continue
        slowest = max(steps, key=lambda label: steps[label]["seconds"])
        state = steps["status"].get("sources", {}).get("hostile", {})
        published = len((steps["feeds"].get("tous") or {}).get("starts", []))
        lines.append(f"| {name} | {published} | {state.get('rejected', '—')} | "
                     f"{'oui' if not state.get('ok', True) or state.get('held') else 'non'} | "
                     f"{slowest} {steps[slowest]['seconds']:.2f} s | "
                     f"{sum(step.get('cpu', 0) for step in steps.values()):.2f} s | {result.get('max_rss_mb')} Mo |")
    (ARTIFACTS / "hostile.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_corpus_is_well_formed():
    names = hostile_names()
    assert len(names) >= 3
    for name in names:
        expect = json.loads((HOSTILE / f"{name}.expect.json").read_text(encoding="utf-8"))
        assert set(expect) <= EXPECTED_KEYS, f"{name}: unknown keys {set(expect) - EXPECTED_KEYS}"
        assert {"type", "why", "published", "rejected", "failed"} <= set(expect), name
        assert _data_file(name).suffix.lstrip(".") in ("ics", "csv", "json", "xlsx"), name


def _finished(result: dict) -> dict:
    assert not result["hung"], f"l'étape « {result['hung']} » a dépassé {STEP_CPU_SECONDS} s de calcul ou " \
                               f"{STEP_SECONDS} s d'horloge (processus arrêté)"
    assert result["returncode"] == 0, f"processus terminé par {result['returncode']} (étapes finies : " \
                                      f"{', '.join(result['steps'])}) :\n{result['stderr']}"
    return result


def test_the_witness_alone(witness_alone):
    result = _finished(witness_alone)
    for label, step in result["steps"].items():
        assert not step.get("crash"), f"{label}:\n{step['crash']}"
    assert len(result["steps"]["feeds"]["tous"]["witness"]) == 3
    assert result["steps"]["app"]["tous"]["witness"] == result["steps"]["feeds"]["tous"]["witness"]


@pytest.mark.parametrize("name", hostile_params())
def test_hostile_file(witness_alone, measures, name, tmp_path):
    expect = json.loads((HOSTILE / f"{name}.expect.json").read_text(encoding="utf-8"))
    alone = witness_alone["steps"]["feeds"]["tous"]["witness"]
    result = measures[name] = _launch(name, tmp_path / name)
    result = _finished(result)
    steps = result["steps"]
    for label, step in steps.items():
        assert not step.get("crash"), f"{name}, {label} :\n{step['crash']}"
        assert step["cpu"] < STEP_CPU_SECONDS and step["seconds"] < STEP_SECONDS, \
            f"{name}, {label} : {step['cpu']} s de calcul, {step['seconds']} s d'horloge"
        if "output" in step:
            assert "Traceback" not in step["output"], f"{name}, {label} :\n{step['output']}"
    failed = expect["failed"]
    assert steps["fetch"]["exit"] == (1 if failed else 0), f"{name}, fetch :\n{steps['fetch']['output']}"
    assert steps["check"]["exit"] == (1 if failed else 0), f"{name}, check :\n{steps['check']['output']}"
    assert steps["build"]["exit"] == 0, f"{name}, build :\n{steps['build']['output']}"
    assert steps["preview"]["exit"] in (0, 1), f"{name}, preview :\n{steps['preview']['output']}"
    state = steps["status"]["sources"]["hostile"]
    assert (not state["ok"] or state["held"] > 0) == failed, \
        f"{name} : source {'non ' if failed else ''}signalée en échec\n{steps['check --no-fetch']['output']}"
    assert state["rejected"] == expect["rejected"], f"{name} : rejetés\n{steps['check --no-fetch']['output']}"
    for message in expect.get("messages", []):
        assert message in steps["check --no-fetch"]["output"], \
            f"{name} : « {message} » absent de check --no-fetch :\n{steps['check --no-fetch']['output']}"
    assert steps["feeds"]["unreadable"] == [], name
    built, live = steps["feeds"]["tous"], steps["app"]["tous"]
    assert steps["app"]["status"] == 200 and steps["app"]["etat"] == 200, name
    assert built["witness"] == alone, f"{name} : les événements du témoin ont changé dans le build"
    assert live["witness"] == alone, f"{name} : les événements du témoin ont changé dans l'app"
    assert len(built["starts"]) == expect["published"], f"{name} : publiés {built['starts']}"
    assert live["starts"] == built["starts"], name
    if "starts_utc" in expect:
        assert built["starts"] == sorted(expect["starts_utc"]), name


if __name__ == "__main__":
    run_file(sys.argv[1] or None, Path(sys.argv[2]), Path(sys.argv[3]))
