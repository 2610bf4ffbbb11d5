"""The team's operations on real servers started by the tests: SQLite's online backup and its restore,
`calfeed publish` to an S3-compatible server (moto's) and to a folder, alerts through a local SMTP server
and a local webhook."""

import datetime as dt
import email
import email.policy
import shutil
import socket
import threading

import pytest

from calfeed.cli import cli
from calfeed.config import load_config
from calfeed.refresh import refresh_sources
from calfeed.store import Store

T0 = dt.datetime(2022, 11, 10, 8, 0, tzinfo=dt.UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _built(runner, bundled, *options):
    output = bundled.parent / "feeds"
    result = runner.invoke(cli, ["build", "--config", str(bundled), "--output", str(output), *options])
    assert result.exit_code == 0, result.output
    return output


# -- backup ---------------------------------------------------------------------------------------------

def test_backup_while_the_store_is_written_then_restore(bundled, runner):
    output = _built(runner, bundled)
    before = {path.relative_to(output): path.read_bytes() for path in output.rglob("*.ics")}
    config = load_config(bundled)
    writer_store, stop = Store(config.store_path), threading.Event()

    def write():  # another process's refresh, writing while the backup copies
        number = 0
        while not stop.is_set():
            with writer_store.transaction() as db:
                writer_store.set_meta(db, "essai", str(number))
            number += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        result = runner.invoke(cli, ["backup", "--config", str(bundled), str(bundled.parent / "sauvegardes/base.sqlite")])
    finally:
        stop.set()
        writer.join()
        writer_store.close()
    assert result.exit_code == 0 and "sauvegardée dans" in result.output, result.output
    backup = bundled.parent / "sauvegardes/base.sqlite"
    # The store is lost; restored as the README says: copy the backup in place, without the old -wal and -shm.
    for suffix in ("", "-wal", "-shm"):
        config.store_path.with_name(config.store_path.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup, config.store_path)
    shutil.rmtree(output)
    result = runner.invoke(cli, ["build", "--no-fetch", "--config", str(bundled), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert {path.relative_to(output): path.read_bytes() for path in output.rglob("*.ics")} == before


def test_backup_refuses_the_store_itself(bundled, runner):
    config = load_config(bundled)
    _built(runner, bundled)
    result = runner.invoke(cli, ["backup", "--config", str(bundled), str(config.store_path)])
    assert result.exit_code == 1 and "est la base elle-même" in result.output


# -- publish --------------------------------------------------------------------------------------------

@pytest.fixture
def s3(monkeypatch):
    moto_server = pytest.importorskip("moto.server", reason="moto[server] absent : pip install -e '.[test]'")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "essai",
                        "AWS_SECRET_ACCESS_KEY": "essai", "AWS_DEFAULT_REGION": "eu-west-3"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket="agendas", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    yield client
    server.stop()


def test_publish_to_s3_sends_only_what_changed_with_headers(bundled, runner, s3):
    output = _built(runner, bundled, "--no-event-pages")
    files = sorted(path for path in output.rglob("*") if path.is_file() and not path.name.startswith("."))
    first = runner.invoke(cli, ["publish", "--config", str(bundled), "--from", str(output), "s3://agendas/mois"])
    assert first.exit_code == 0, first.output
    assert f"{len(files)} fichier(s) envoyé(s), 0 inchangé(s), 0 supprimé(s)" in first.output
    feed = s3.get_object(Bucket="agendas", Key="mois/categorie/labs.ics")
    assert feed["ContentType"] == "text/calendar; charset=utf-8"
    assert feed["CacheControl"] == "public, max-age=3600"
    assert feed["Body"].read() == (output / "categorie/labs.ics").read_bytes()
    page = s3.head_object(Bucket="agendas", Key="mois/index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert s3.head_object(Bucket="agendas", Key="mois/static/calfeed.css")["CacheControl"] == "public, max-age=86400"
    # One feed changes, a page disappears, a feed disappears: only the change is sent, the feed stays.
    (output / "categorie/labs.ics").write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    (output / "accessibilite.html").unlink()
    (output / "format/hybride.ics").unlink()
    second = runner.invoke(cli, ["publish", "--config", str(bundled), "--from", str(output), "s3://agendas/mois"])
    assert second.exit_code == 0, second.output
    assert f"1 fichier(s) envoyé(s), {len(files) - 3} inchangé(s), 1 supprimé(s)" in second.output
    assert "format/hybride.ics" in second.output  # kept for its subscribers
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket="agendas", Prefix="mois/")["Contents"]}
    assert "mois/format/hybride.ics" in keys and "mois/accessibilite.html" not in keys
    assert s3.get_object(Bucket="agendas", Key="mois/categorie/labs.ics")["Body"].read().startswith(b"BEGIN:VCALENDAR\r\nEND")


def test_publish_order_puts_feeds_before_the_pages_that_link_to_them(bundled, runner):
    from calfeed.upload import local_files
    order = [relative for relative, _path in local_files(_built(runner, bundled))]
    last_feed = max(index for index, name in enumerate(order) if name.endswith((".ics", ".json")))
    first_page = min(index for index, name in enumerate(order) if name.endswith(".html"))
    assert last_feed < first_page


def test_publish_to_a_folder(bundled, runner, tmp_path):
    output = _built(runner, bundled)
    target = tmp_path / "www"
    target.mkdir()
    (target / "robots.txt").write_text("User-agent: *\n")  # not calfeed's: never touched
    first = runner.invoke(cli, ["publish", "--config", str(bundled), "--from", str(output), str(target)])
    assert first.exit_code == 0 and " 0 inchangé(s)" in first.output
    assert (target / "tous.ics").read_bytes() == (output / "tous.ics").read_bytes()
    second = runner.invoke(cli, ["publish", "--config", str(bundled), "--from", str(output), str(target)])
    assert "0 fichier(s) envoyé(s)" in second.output
    assert (target / "robots.txt").exists()


def test_publish_to_s3_without_server_is_said_in_french(bundled, runner, monkeypatch):
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "essai")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "essai")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    output = _built(runner, bundled)
    result = runner.invoke(cli, ["publish", "--config", str(bundled), "--from", str(output), "s3://agendas"])
    assert result.exit_code == 1 and "serveur injoignable : vérifiez AWS_ENDPOINT_URL" in result.output


# -- alerts ---------------------------------------------------------------------------------------------

def _text(envelope) -> str:
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    return message["Subject"] + "\n" + message.get_body().get_content()


@pytest.fixture
def smtp():
    controller_module = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd absent : pip install -e '.[test]'")
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    controller = controller_module.Controller(Handler(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, received
    controller.stop()


def test_alert_once_when_a_source_fails_long_enough_and_once_when_it_recovers(project, smtp, httpserver):
    port, mails = smtp
    httpserver.expect_request("/hooks/equipe", method="POST").respond_with_data("ok")
    path = project([{"id": "labs", "type": "csv", "path": "collectivites_semicolons.csv", "category": "labs"}],
                   files=["collectivites_semicolons.csv"],
                   alerts={"after_minutes": 60, "email": ["equipe@exemple.gouv.fr"], "sender": "calfeed@exemple.gouv.fr",
                           "smtp_host": "127.0.0.1", "smtp_port": port, "webhook": httpserver.url_for("/hooks/equipe")})
    config = load_config(path)
    store = Store(config.store_path)
    source_file = path.parent / "collectivites_semicolons.csv"
    good = source_file.read_bytes()
    hooks = lambda: [request for request, _response in httpserver.log]  # noqa: E731

    assert refresh_sources(config, store, now=T0)[0].ok
    source_file.unlink()  # the source fails from T0 + 1 h
    for minutes in (60, 90, 119):  # failed, but not yet for 60 minutes
        assert not refresh_sources(config, store, now=T0 + dt.timedelta(minutes=minutes))[0].ok
    assert mails == [] and hooks() == []
    refresh_sources(config, store, now=T0 + dt.timedelta(minutes=121))
    assert len(mails) == 1 and len(hooks()) == 1
    text = _text(mails[0])
    assert "labs" in text and "en échec depuis le 10/11/2022 à 10:00" in text  # Paris time
    assert mails[0].rcpt_tos == ["equipe@exemple.gouv.fr"]
    assert hooks()[0].json["alertes"][0]["evenement"] == "panne"
    for minutes in (180, 240, 600):  # still failing: nothing more
        refresh_sources(config, store, now=T0 + dt.timedelta(minutes=minutes))
    assert len(mails) == 1 and len(hooks()) == 1
    source_file.write_bytes(good)
    assert refresh_sources(config, store, now=T0 + dt.timedelta(minutes=660))[0].ok
    assert len(mails) == 2 and "fonctionne de nouveau" in _text(mails[1])
    assert hooks()[1].json["alertes"] == [{"evenement": "retour", "source": "labs", "raison": ""}]
    refresh_sources(config, store, now=T0 + dt.timedelta(minutes=720))
    assert len(mails) == 2 and len(hooks()) == 2
    store.close()


def test_a_short_failure_tells_nobody(project, smtp):
    port, mails = smtp
    path = project([{"id": "labs", "type": "csv", "path": "collectivites_semicolons.csv", "category": "labs"}],
                   files=["collectivites_semicolons.csv"],
                   alerts={"after_minutes": 60, "email": "equipe@exemple.gouv.fr", "smtp_host": "127.0.0.1", "smtp_port": port})
    config = load_config(path)
    store = Store(config.store_path)
    source_file = path.parent / "collectivites_semicolons.csv"
    good = source_file.read_bytes()
    refresh_sources(config, store, now=T0)
    source_file.unlink()
    refresh_sources(config, store, now=T0 + dt.timedelta(minutes=30))
    source_file.write_bytes(good)
    refresh_sources(config, store, now=T0 + dt.timedelta(minutes=80))
    assert mails == []
    store.close()


def test_an_unreachable_smtp_server_does_not_stop_the_refresh(project):
    path = project([{"id": "labs", "type": "csv", "path": "absent.csv", "category": "labs"}],
                   alerts={"after_minutes": 0, "email": ["equipe@exemple.gouv.fr"], "smtp_host": "127.0.0.1",
                           "smtp_port": _free_port()})
    config = load_config(path)
    store = Store(config.store_path)
    assert not refresh_sources(config, store, now=T0)[0].ok  # the alert failed, the refresh went on
    assert store.get_meta("alert:labs") in (None, "")  # …and it is tried again next time
    store.close()


# -- figures --------------------------------------------------------------------------------------------

def test_requests_are_counted_per_feed_and_per_day_without_personal_data(client, app):
    for _ in range(3):
        assert client.get("/feeds/tous.ics", headers={"User-Agent": "Microsoft Outlook 16.0"},
                          environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert client.get("/feeds/categorie/labs.json").status_code == 200
    assert client.get("/feeds/import/categorie/labs.ics").status_code == 200
    key = client.get("/feeds/tous.json").json["evenements"][0]["page"].rsplit("/", 1)[1].removesuffix(".html")
    assert client.get(f"/feeds/mon-programme.ics?e={key}").status_code == 200
    assert client.get("/feeds/inconnu.ics").status_code == 404  # not a feed: not counted
    days = client.get("/etat/requetes.json").json["jours"]
    assert len(days) == 1
    counts = next(iter(days.values()))
    assert counts == {"tous.ics": 3, "categorie/labs.json": 1, "import/categorie/labs.ics": 1, "tous.json": 1,
                      "mon-programme.ics": 1}
    csv_text = client.get("/etat/requetes.csv").get_data(as_text=True)
    assert csv_text.startswith("jour;agenda;requetes\r\n") and ";tous.ics;3\r\n" in csv_text
    stored = app.extensions["calfeed"].store.db.execute("SELECT * FROM feed_requests").fetchall()
    assert not any("192.0.2.7" in str(row) or "Outlook" in str(row) or key in str(row) for row in stored)
