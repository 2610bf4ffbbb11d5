"""Operations (issue 19): the public status page keeps secrets, every answer carries its security
headers, a read-only or full disk is said plainly, and a new calfeed version re-reads every source once."""

import errno
import gc
import hashlib
import re
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import open_project

from calfeed.cli import cli


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SECRET_PATH = "/remote.php/dav/calendars/alice/perso-cle-7f3a9c2e1b/"


def test_the_public_status_page_shows_a_source_by_its_host_alone(project, runner):
    port = _closed_port()
    address = f"http://alice:motdepasse@127.0.0.1:{port}{SECRET_PATH}?export&jeton=abc123"
    path = project([{"id": "nextcloud", "type": "ics", "url": address, "category": "labs"}], fetch={"retries": 0})
    fetched = runner.invoke(cli, ["fetch", "--config", str(path)])
    assert fetched.exit_code == 1 and "connexion impossible" in fetched.output
    checked = runner.invoke(cli, ["check", "--no-fetch", "--config", str(path)])
    assert SECRET_PATH in checked.output  # the operator's terminal names the whole address (no credentials)
    assert "motdepasse" not in checked.output and "abc123" not in checked.output

    from calfeed.web import create_app
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)}).test_client()
    data = client.get("/etat.json").get_json()
    [source] = data["sources"]
    assert source["location"] == f"127.0.0.1:{port}"
    assert source["last_error"] == f"connexion impossible à 127.0.0.1:{port}"
    for text in (client.get("/etat").get_data(as_text=True), client.get("/etat.json").get_data(as_text=True)):
        assert "connexion impossible" in text and f"127.0.0.1:{port}" in text
        for secret in ("perso-cle-7f3a9c2e1b", "remote.php", "alice", "motdepasse", "jeton", "abc123", "export"):
            assert secret not in text, secret


def test_the_public_status_page_names_a_local_file_as_sources_yaml_does(project, tmp_path):
    path = project([{"id": "tableur", "type": "csv", "path": "data/absent.csv", "category": "labs"}])
    from calfeed.pages import status_context
    from calfeed.publish import load_programme
    from calfeed.refresh import refresh_sources
    config, store = open_project(path)
    refresh_sources(config, store)
    public = status_context(config, store, load_programme(store), public=True)["sources"][0]
    private = status_context(config, store, load_programme(store))["sources"][0]
    assert str(tmp_path) in private["last_error"]  # the terminal says where on the server
    assert str(tmp_path) not in str(public) and "fichier introuvable : data/absent.csv" in public["last_error"]
    store.close()


# -- a new calfeed version re-reads every source once ---------------------------------------------------

ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//essai//FR\r\nBEGIN:VEVENT\r\nUID:atelier@essai\r\n"
       "DTSTAMP:20221101T000000Z\r\nDTSTART:20221114T090000Z\r\nDTEND:20221114T100000Z\r\nSUMMARY:Atelier\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")


def test_a_new_reader_reads_every_source_again_once_without_a_new_sequence(project, tmp_path, httpserver,
                                                                            monkeypatch):
    from werkzeug import Response

    from calfeed import refresh
    from calfeed.refresh import refresh_sources
    asked = []

    def answer(request):
        asked.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(ICS, content_type="text/calendar", headers={"ETag": '"v1"'})

    httpserver.expect_request("/agenda.ics").respond_with_handler(answer)
    (tmp_path / "local.ics").write_text(ICS.replace("atelier@essai", "visite@essai"), encoding="utf-8")
    config, store = open_project(project([
        {"id": "web", "type": "ics", "url": httpserver.url_for("/agenda.ics"), "category": "labs"},
        {"id": "local", "type": "ics", "path": "local.ics", "category": "labs"}], fetch={"retries": 0}))

    def refreshed():
        reports = {r.source_id: r.changed for r in refresh_sources(config, store)}
        return reports, {row.uid: row.sequence for row in store.published()}, store.generation()

    first, sequences, generation = refreshed()
    assert first == {"web": True, "local": True} and set(sequences.values()) == {0}
    assert refreshed() == ({"web": False, "local": False}, sequences, generation)  # nothing new: nothing read
    assert asked == [None, '"v1"']
    monkeypatch.setattr(refresh, "reader_version", lambda: "calfeed suivant")  # an upgrade of calfeed
    assert refreshed() == ({"web": True, "local": True}, sequences, generation)  # read again, same events
    assert asked[-1] is None  # no validator: a 304 would have kept the old reader's snapshot
    assert refreshed() == ({"web": False, "local": False}, sequences, generation)  # once
    assert asked[-1] == '"v1"'
    store.close()


def test_the_reader_version_changes_with_calfeed_version(monkeypatch):
    from calfeed import refresh
    today = refresh.reader_version()
    assert refresh.reader_version() == today  # the same code reads the same way: nothing is read again
    monkeypatch.setattr(refresh, "__version__", "99.0")
    refresh.reader_version.cache_clear()
    try:
        assert refresh.reader_version() != today
    finally:
        monkeypatch.undo()
        refresh.reader_version.cache_clear()
    assert refresh.reader_version() == today


# -- a full, read-only or forbidden disk is said plainly, and nothing good is lost ------------------------

def _fill(folder: Path) -> Path:
    """Fill the disk of `folder` to its last byte (a real ENOSPC), by small unbuffered writes."""
    path = folder / "remplissage"
    handle = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    os.write(handle, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(handle)
    return path


@pytest.fixture
def small_disk():
    """Mount a real, tiny tmpfs on a folder (root only; the test is skipped where mounting is not allowed)."""
    mounted = []

    def mount(folder: Path, size: str = "4m"):
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"pas de petit disque à monter ici : {done.stderr.strip()}")
        mounted.append(folder)
        return folder
    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _remount_read_only(folder: Path, read_only: bool = True):
    gc.collect()  # the stores the commands opened close their files: a disk with files open to write stays rw
    subprocess.run(["mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(folder)], check=True)


def _csv(count: int, words: int = 3) -> str:
    lines = ["id,titre,description,date_debut,heure_debut,heure_fin,ville,categorie"]
    for number in range(count):
        lines.append(f"e{number},Atelier {number},{' '.join(['texte'] * words)},2022-11-{1 + number % 28:02d},"
                     "10:00,11:00,Lyon,labs")
    return "\n".join(lines) + "\n"


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _published(path) -> int:
    config, store = open_project(path)
    try:
        return sum(1 for _ in store.published())
    finally:
        store.close()


def _plain(result, *needles):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "endommagée" not in result.output, result.output
    assert "renommez" not in result.output, result.output
    for needle in needles:
        assert needle in result.output, result.output


def test_a_full_disk_under_the_store_is_said_and_the_store_stays_whole(project, tmp_path, runner, small_disk):
    small_disk(tmp_path / "store")
    (tmp_path / "agenda.csv").write_text(_csv(5), encoding="utf-8")
    path = project([{"id": "tableur", "type": "csv", "path": "agenda.csv"}])
    assert runner.invoke(cli, ["fetch", "--config", str(path)]).exit_code == 0
    filler = _fill(tmp_path / "store")
    (tmp_path / "agenda.csv").write_text(_csv(400, words=60), encoding="utf-8")
    _plain(runner.invoke(cli, ["fetch", "--config", str(path)]), "est plein", "Libérez de la place",
           "ce qui était publié le reste")
    filler.unlink()
    assert _published(path) == 5  # the last good state, whole
    assert runner.invoke(cli, ["fetch", "--config", str(path)]).exit_code == 0
    assert _published(path) == 400


def test_a_read_only_disk_under_the_store_is_said(project, tmp_path, runner, small_disk):
    disk = small_disk(tmp_path / "store")
    (tmp_path / "agenda.csv").write_text(_csv(5), encoding="utf-8")
    path = project([{"id": "tableur", "type": "csv", "path": "agenda.csv"}])
    assert runner.invoke(cli, ["fetch", "--config", str(path)]).exit_code == 0
    (tmp_path / "agenda.csv").write_text(_csv(8), encoding="utf-8")
    _remount_read_only(disk)
    try:
        _plain(runner.invoke(cli, ["fetch", "--config", str(path)]), "lecture seule", "Remontez-le")
    finally:
        _remount_read_only(disk, False)
    assert _published(path) == 5
    assert runner.invoke(cli, ["fetch", "--config", str(path)]).exit_code == 0 and _published(path) == 8


def test_a_full_or_read_only_output_folder_keeps_the_last_good_tree(project, tmp_path, runner, small_disk):
    feeds = small_disk(tmp_path / "feeds", "16m")
    (tmp_path / "agenda.csv").write_text(_csv(5), encoding="utf-8")
    path = project([{"id": "tableur", "type": "csv", "path": "agenda.csv"}])
    build = ["build", "--config", str(path), "--output", str(feeds)]
    assert runner.invoke(cli, build).exit_code == 0
    good = _tree(feeds)
    filler = _fill(feeds)
    (tmp_path / "agenda.csv").write_text(_csv(60, words=40), encoding="utf-8")
    _plain(runner.invoke(cli, build), "est plein", "aucun fichier du dossier n'a été remplacé")
    filler.unlink()
    assert _tree(feeds) == good  # nothing replaced, no temporary file left
    _remount_read_only(feeds)
    try:
        _plain(runner.invoke(cli, build), "lecture seule")
        assert _tree(feeds) == good
    finally:
        _remount_read_only(feeds, False)
    rebuilt = runner.invoke(cli, build)
    assert rebuilt.exit_code == 0 and _tree(feeds) != good, rebuilt.output


NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="setpriv as root needed")
def test_a_store_and_folder_the_user_may_not_write_are_said(runner):
    """Root ignores permission bits: the commands run as « nobody » (setpriv), on files root owns."""
    folder = Path(tempfile.mkdtemp(prefix="calfeed-droits-"))
    try:
        folder.chmod(0o755)
        (folder / "agenda.csv").write_text(_csv(3), encoding="utf-8")
        import yaml
        document = yaml.safe_load((Path(__file__).parent.parent / "sources.yaml").read_text(encoding="utf-8"))
        document["sources"] = [{"id": "tableur", "type": "csv", "path": "agenda.csv"}]
        document["store"] = {"path": "store/calfeed.sqlite"}
        path = folder / "sources.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        assert runner.invoke(cli, ["build", "--config", str(path), "--output", str(folder / "feeds")]).exit_code == 0
        good = _tree(folder / "feeds")
        calfeed = [str(Path(sys.executable).parent / "calfeed")]
        as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *calfeed]
        if subprocess.run([*as_nobody, "--version"], capture_output=True, timeout=60).returncode:
            pytest.skip("« nobody » ne peut pas lancer calfeed depuis ce dossier (droits du virtualenv)")
        (folder / "agenda.csv").write_text(_csv(4), encoding="utf-8")
        for command in (["fetch"], ["build", "--output", str(folder / "feeds")]):
            if command[0] == "build":  # the store is nobody's now: the output folder alone refuses
                for store_file in [folder / "store", *(folder / "store").iterdir()]:
                    os.chown(store_file, NOBODY, NOBODY)
            done = subprocess.run([*as_nobody, *command, "--config", str(path)], capture_output=True, text=True,
                                  timeout=60, cwd=folder)
            output = done.stdout + done.stderr
            assert done.returncode == 1, output
            assert "« nobody » n'a pas le droit d'y écrire" in output, output
            where = folder / "store" / "calfeed.sqlite" if command == ["fetch"] else folder / "feeds"
            assert f"impossible d'écrire {where}" in output, output
            assert "Traceback" not in output and "endommagée" not in output, output
        assert _tree(folder / "feeds") == good
    finally:
        shutil.rmtree(folder)


def test_disk_errors_are_told_apart_on_real_errors(tmp_path):
    """Real OSError and SQLite errors, wherever no disk can be mounted: /dev/full is a full disk."""
    from calfeed.errors import DiskError
    from calfeed.store import Store, store_problem
    with pytest.raises(OSError) as full:
        with open("/dev/full", "wb", buffering=0) as device:
            device.write(b"x")
    assert DiskError.kind_of(full.value.errno) == DiskError.FULL
    with pytest.raises(OSError) as missing:
        open(tmp_path / "absent" / "x", "rb")
    assert DiskError.kind_of(missing.value.errno) is None  # a wrong path, not the disk: said by the CLI as such
    Store(tmp_path / "base.sqlite").close()
    read_only = sqlite3.connect(f"file:{tmp_path / 'base.sqlite'}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        read_only.execute("CREATE TABLE t (x)")
    read_only.close()
    problem = store_problem(tmp_path / "base.sqlite", refused.value)
    assert isinstance(problem, DiskError) and problem.problem == DiskError.DENIED
    assert "endommagée" not in str(problem) and "base.sqlite-wal" in str(problem)
    (tmp_path / "abimee.sqlite").write_bytes(b"SQLite format 3\0" + b"\xa5" * 8192)
    damaged = sqlite3.connect(tmp_path / "abimee.sqlite")
    with pytest.raises(sqlite3.DatabaseError) as broken:
        damaged.execute("SELECT * FROM sqlite_master").fetchall()
    damaged.close()
    assert "endommagée" in str(store_problem(tmp_path / "abimee.sqlite", broken.value))


# -- security headers on every answer ---------------------------------------------------------------------

def _answers(client):
    """One answer of each kind the service gives: pages, feeds, exports, assets, errors, a 304."""
    home = client.get("/feeds/evenements.html").get_data(as_text=True)
    event = "/feeds/" + re.search(r'href="(evenements/[0-9a-f]{12}\.html)"', home).group(1)
    feed = client.get("/feeds/tous.ics")
    paths = ["/", "/feeds/", "/feeds/constructeur.html", "/feeds/evenements.html", event, "/feeds/mon-programme.html",
             "/feeds/contact.html", "/etat", "/etat.json", "/feeds/tous.ics", "/feeds/categorie/labs.ics",
             "/feeds/tous.json", "/feeds/static/calfeed.js", "/feeds/static/calfeed.css",
             "/feeds/static/dsfr/dsfr.module.min.js", "/feeds/inconnu.ics", "/nulle-part", "/feeds/inconnu.json",
             "/feeds/selection.ics?theme=inconnu"]
    for path in paths:
        with client.get(path) as answer:  # a static file's answer holds the file open until closed
            yield path, answer
    yield "304", client.get("/feeds/tous.ics", headers={"If-None-Match": feed.headers["ETag"]})


def test_every_answer_carries_its_security_headers_and_only_embeds_may_be_framed(client):
    statuses = set()
    for path, answer in _answers(client):
        statuses.add(answer.status_code)
        policy = answer.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, path
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, path
        assert answer.headers.get("X-Frame-Options") == "DENY", path
        assert answer.headers.getlist("X-Content-Type-Options") == ["nosniff"], path
    assert statuses == {200, 304, 400, 404}
    embed = client.get("/feeds/integrer/categorie/labs.html")
    assert embed.status_code == 200 and "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers and embed.headers["X-Content-Type-Options"] == "nosniff"


def test_a_base_held_by_another_process_is_not_called_damaged(tmp_path):
    from calfeed.store import Store, store_problem
    Store(tmp_path / "base.sqlite").close()
    holder = sqlite3.connect(tmp_path / "base.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    waiting = sqlite3.connect(tmp_path / "base.sqlite", timeout=0)
    with pytest.raises(sqlite3.OperationalError) as busy:
        waiting.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    holder.close()
    waiting.close()
    told = str(store_problem(tmp_path / "base.sqlite", busy.value))
    assert "occupée par un autre processus" in told and "endommagée" not in told
