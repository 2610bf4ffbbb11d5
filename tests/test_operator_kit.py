"""From an empty folder to a served, proxied site: `calfeed init`, `build`, `serve`, then the deploy kit
(a real nginx in front of the built tree and the live service, the systemd units, the container image)."""

import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
import yaml

from calfeed.build import MANAGED_SUFFIXES
from calfeed.cli import cli
from calfeed.config import load_config
from calfeed.sources import SOURCE_TYPES, source_keys
from calfeed.init import DEPLOY, STARTER, deploy_values, fill, write_deploy_kit
from calfeed.security import security_headers
from calfeed.upload import CONTENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
CALFEED = Path(sys.executable).with_name("calfeed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str, process, log: Path, **kwargs):
    deadline = time.monotonic() + 30
    while True:
        try:
            return requests.get(url, timeout=2, **kwargs)
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"{url} ne répond pas :\n" + log.read_text(errors="replace"))
        time.sleep(0.05)


def _logged(path: Path, text: str, seconds: float = 10) -> str:
    """The log once it holds `text` (or after `seconds`): a line written after the answer, waited for, not slept on."""
    deadline = time.monotonic() + seconds
    while text not in (log := path.read_text(errors="replace")) and time.monotonic() < deadline:
        time.sleep(0.02)
    return log


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder started as a new team would: `calfeed init`, `calfeed build`, then `calfeed serve` (the installed
    command, in its own process: gunicorn)."""
    from click.testing import CliRunner
    folder = tmp_path_factory.mktemp("equipe")
    for command in (["init", str(folder)], ["build", "--config", str(folder / "sources.yaml"),
                                            "--output", str(folder / "feeds")]):
        done = CliRunner().invoke(cli, command)
        assert done.exit_code == 0, done.output
    port = _free_port()
    log = folder / "serve.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([str(CALFEED), "serve", "--config", str(folder / "sources.yaml"), "--port", str(port),
                                    "--workers", "1", "--no-refresh"], stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    _wait(base + "/etat.json", process, log)
    yield folder, base, port
    process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (SIGTERM waits for its workers)
    process.wait(10)


def test_init_build_serve_every_feed_answers(site):
    folder, base, _port = site
    feeds = sorted(path.relative_to(folder).as_posix() for path in (folder / "feeds").rglob("*.ics"))
    assert "feeds/tous.ics" in feeds and "feeds/tables-rondes-ditp.ics" in feeds and len(feeds) > 20
    for relative in feeds:
        response = requests.get(f"{base}/{relative}", timeout=5)
        assert response.status_code == 200, relative
        assert response.headers["Content-Type"].startswith("text/calendar")
        assert response.content == (folder / relative).read_bytes(), relative  # live and static: the same bytes
    status = requests.get(base + "/etat.json", timeout=5).json()
    assert {source["id"] for source in status["sources"]} == {"tables-rondes", "programme-tableur", "programme-excel",
                                                               "evenements-json", "agenda-openagenda"}
    assert all(source["ok"] and source["events_published"] > 0 for source in status["sources"])


def test_gunicorn_own_answers_and_log_are_french(site):
    folder, base, _port = site
    too_long = requests.get(base + "/feeds/" + "a" * 9000 + ".ics", timeout=5)
    assert too_long.status_code == 414 and "Adresse trop longue" in too_long.text
    assert too_long.headers["Content-Type"] == "text/html; charset=utf-8"
    headers = requests.get(base + "/", headers={"X-Gros": "a" * 9000}, timeout=5)
    assert headers.status_code == 431 and "En-têtes trop longs" in headers.text
    log = _logged(folder / "serve.log", "(réponse 414)")  # the access log line is written after the answer
    assert "GET /etat.json HTTP/1.1 → 200" in log and " octets, " in log
    assert "Requête refusée : adresse trop longue (réponse 414)" in log
    assert "127.0.0.1" not in log.split("À l'écoute sur")[-1].split("\n", 1)[-1]  # no client address kept


def test_starter_has_one_example_of_every_source_type_and_mentions_every_key(tmp_path, runner):
    """The starter follows the registry: a new source type or source key fails here until it is shown; a type
    read only online is shown commented out."""
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    config = load_config(tmp_path / "sources.yaml")
    offline = sorted(name for name, kind in SOURCE_TYPES.items() if not kind.example_online)
    assert sorted(source.type for source in config.sources) == offline
    assert all(source.path.is_file() and source.path.is_relative_to(tmp_path) for source in config.sources)
    text = (tmp_path / "sources.yaml").read_text(encoding="utf-8")
    assert all(f"type: {name}" in text for name in SOURCE_TYPES)
    missing = [key for key in source_keys() if not re.search(rf"\b{key}\b", text)]
    assert not missing, f"clés de source absentes du sources.yaml de calfeed init : {missing}"
    # The vocabulary is the project's own (categories, themes, types of the Mois de l'innovation publique).
    mine, project = yaml.safe_load(text), yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    for section in ("categories", "themes", "event_types"):
        assert mine[section] == project[section], section


def test_init_never_overwrites(tmp_path, runner):
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    again = runner.invoke(cli, ["init", str(tmp_path)])
    assert again.exit_code == 1 and "existe déjà" in again.output and "Traceback" not in again.output


def test_preview_of_a_file_without_any_configuration(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)  # no sources.yaml here
    for name, kind in (("tableur.xlsx", "xlsx"), ("tables-rondes.ics", "ics"), ("programme.csv", "csv"),
                       ("openagenda-export.json", "openagenda"), ("evenements.json", "json")):
        shutil.copy(STARTER / "exemples" / name, tmp_path / f"sans-extension-{kind}")
        for path in (name, f"sans-extension-{kind}"):
            if path == name:
                shutil.copy(STARTER / "exemples" / name, tmp_path / name)
            result = runner.invoke(cli, ["preview", path])
            assert result.exit_code == 0, result.output
            assert f"({kind}, " in result.output and re.search(r"[1-9]\d* événement\(s\) lu\(s\)", result.output)
    forced = runner.invoke(cli, ["preview", "evenements.json", "--type", "openagenda"])
    assert "(openagenda, " in forced.output


def test_three_configuration_mistakes_reported_in_one_run(tmp_path, runner):
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    path = tmp_path / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    organiser: DITP\n", "    organizer: DITP\n", 1)  # an unknown key
    text = text.replace("    timeout: 20\n    max_bytes", "    timeout: vingt\n    max_bytes", 1)  # a wrong value
    text = text.replace("    category: labs\n", "    category: labos-innovation\n", 1)  # an unknown category
    text = text.replace("    format: presentiel ", "    format: distanciel-total ", 1)  # an unknown format
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["check", "--no-fetch", "--config", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "sources.yaml, ligne" in line]
    assert any("organizer : clé inconnue" in line and "organiser" in line for line in lines)
    assert any("timeout" in line and "vingt" in line for line in lines)
    assert any("catégorie inconnue « labos-innovation »" in line for line in lines)
    assert any("format inconnu « distanciel-total »" in line for line in lines)
    numbers = [int(re.search(r"ligne (\d+)", line).group(1)) for line in lines]
    assert len(lines) == 4 and numbers == sorted(numbers)


@pytest.mark.parametrize("arguments, said", [
    (["serve", "--port", "99999"], "--port attend un nombre entier de 1 à 65535"),
    (["build", "--no-fetch", "--output", "/proc/calfeed"], "/proc/calfeed : fichier ou dossier introuvable"),
    (["build", "--no-fetch", "--output", "sources.yaml"], "ce chemin est un fichier ; indiquez un dossier"),
    (["backup", "/proc/calfeed.sqlite"], "impossible d'écrire la sauvegarde /proc/calfeed.sqlite"),
    (["publish", "/proc/calfeed", "--from", "exemples"], "n'est pas un dossier écrit par « calfeed build »"),
])
def test_operator_mistakes_are_said_in_french_without_traceback(tmp_path, monkeypatch, runner, arguments, said):
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, arguments)
    assert result.exit_code in (1, 2) and said in result.output, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (OSError, TypeError))


# -- the deploy kit ----------------------------------------------------------------------------------------

def test_every_file_the_build_writes_has_a_type_in_nginx_apache_and_publish():
    nginx = (DEPLOY / "nginx-calfeed.conf").read_text(encoding="utf-8")
    apache = (DEPLOY / "apache-calfeed.conf").read_text(encoding="utf-8")
    for suffix in MANAGED_SUFFIXES:
        assert suffix in CONTENT_TYPES
        assert re.search(rf"\s{suffix[1:]};", nginx), suffix
        assert re.search(rf"AddType \S+ \{suffix}\n", apache), suffix


def _kit(folder: Path, tmp: Path) -> Path:
    kit = tmp / "kit"
    kit.mkdir(exist_ok=True)
    values = deploy_values(folder, executable=CALFEED, user="root" if os.geteuid() == 0 else os.environ.get("USER", "root"),
                           server="localhost", refresh=dt.timedelta(hours=1))
    write_deploy_kit(kit, {**values, "DOSSIER_NGINX": str(kit / "deploy")})
    return kit / "deploy"


@pytest.fixture(scope="module")
def nginx(site, tmp_path_factory):
    if shutil.which("nginx") is None:
        pytest.skip("nginx absent : installez-le (apt-get install nginx) pour tester la configuration du kit.")
    if shutil.which("openssl") is None:
        pytest.skip("openssl absent : il faut un certificat de test pour le serveur https de nginx.")
    folder, _base, live_port = site
    tmp = tmp_path_factory.mktemp("nginx")
    kit = _kit(folder, tmp)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(tmp / "cle.pem"), "-out",
                    str(tmp / "cert.pem")], check=True, capture_output=True)
    http_port, https_port = _free_port(), _free_port()
    conf = (kit / "nginx-calfeed.conf").read_text(encoding="utf-8")
    conf = (conf.replace("listen 80;", f"listen 127.0.0.1:{http_port};").replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
            .replace("    listen [::]:80;\n", "").replace("    listen [::]:443 ssl;\n", "")
            .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{live_port};")
            .replace("/etc/letsencrypt/live/localhost/fullchain.pem", str(tmp / "cert.pem"))
            .replace("/etc/letsencrypt/live/localhost/privkey.pem", str(tmp / "cle.pem"))
            # the protection of /etat, as the team would switch it on
            .replace("# auth_basic \"", "auth_basic \"").replace("# auth_basic_user_file /etc/nginx/calfeed.htpasswd;",
                                                               f"auth_basic_user_file {tmp / 'htpasswd'};"))
    (tmp / "htpasswd").write_text("equipe:{PLAIN}secret\n")
    (kit / "nginx-calfeed.conf").write_text(conf, encoding="utf-8")
    temp_paths = "".join(f"{name}_temp_path {tmp}/{name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp / "nginx.conf").write_text(
        f"{'user root;' if os.geteuid() == 0 else ''}\ndaemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\n"
        f"error_log {tmp}/error.log;\nevents {{}}\nhttp {{\naccess_log {tmp}/access.log;\n{temp_paths}"
        f"include {kit}/nginx-calfeed.conf;\n}}\n")
    command = ["nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    https = f"https://localhost:{https_port}"
    _wait(f"http://127.0.0.1:{http_port}/", process, tmp / "error.log", allow_redirects=False)
    yield {"http": f"http://127.0.0.1:{http_port}", "https": https, "cert": str(tmp / "cert.pem"), "folder": folder}
    process.terminate()
    process.wait(10)


def test_nginx_serves_the_built_tree_with_type_charset_cache_and_304(nginx):
    get = lambda path, **kw: requests.get(nginx["https"] + path, verify=nginx["cert"], timeout=5, **kw)  # noqa: E731
    feed = get("/feeds/categorie/labs.ics", headers={"Accept-Encoding": "gzip", "User-Agent": "Microsoft Outlook 16.0"})
    assert feed.status_code == 200
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in feed.headers  # never compressed
    assert feed.headers["Cache-Control"] == "public, max-age=3600"
    assert feed.content == (nginx["folder"] / "feeds/categorie/labs.ics").read_bytes()
    again = get("/feeds/categorie/labs.ics", headers={"If-None-Match": feed.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    page = get("/feeds/")
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert get("/feeds/categorie/labs.json").headers["Content-Type"] == "application/json; charset=utf-8"
    assert get("/feeds/.calfeed-build").status_code == 404
    # Assets are kept a day (caching.py), with the same security headers as every answer.
    asset = get("/feeds/static/calfeed.css")
    assert asset.status_code == 200 and asset.headers["Cache-Control"] == "public, max-age=86400"
    assert asset.headers["Content-Security-Policy"] == security_headers("/feeds/static/calfeed.css")["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "public, max-age=3600"
    _same_security_headers_as_the_live_app(get)


def _same_security_headers_as_the_live_app(get):
    """The static tree's pages and embeds carry exactly the live app's security headers (security.py)."""
    for path in ("/feeds/index.html", "/feeds/integrer/tous.html", "/feeds/categorie/labs.ics"):
        answer = get(path)
        assert answer.status_code == 200, path
        for name, value in security_headers(path).items():
            assert answer.headers.get(name) == value, (path, name)
        if "X-Frame-Options" not in security_headers(path):
            assert "X-Frame-Options" not in answer.headers, path


def test_nginx_proxies_the_live_service_and_protects_etat(nginx):
    get = lambda path, **kw: requests.get(nginx["https"] + path, verify=nginx["cert"], timeout=5, **kw)  # noqa: E731
    composed = get("/feeds/selection.ics?categorie=labs", headers={"Accept-Encoding": "gzip"})
    assert composed.status_code == 200 and composed.headers["Content-Type"].startswith("text/calendar")
    assert "Content-Encoding" not in composed.headers and b"BEGIN:VCALENDAR" in composed.content
    reminder = get("/feeds/tous.ics?rappel=30")  # a static feed's variant: answered by the live service
    assert reminder.status_code == 200 and b"BEGIN:VALARM" in reminder.content
    assert b"BEGIN:VALARM" not in get("/feeds/tous.ics").content
    assert get("/etat").status_code == 401
    assert get("/etat.json", auth=("equipe", "secret")).json()["sources"]


def test_nginx_redirects_http_to_https(nginx):
    response = requests.get(nginx["http"] + "/feeds/tous.ics?rappel=30", allow_redirects=False, timeout=5)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://") and response.headers["Location"].endswith(
        "/feeds/tous.ics?rappel=30")


APACHE_MODULES = ("mpm_event", "authz_core", "authz_host", "authn_core", "authn_file", "auth_basic", "authz_user",
                  "mime", "dir", "headers", "rewrite", "proxy", "proxy_http", "ssl", "socache_shmcb", "env")


@pytest.fixture(scope="module")
def apache(site, tmp_path_factory):
    binary = shutil.which("apache2") or shutil.which("httpd")
    if binary is None or shutil.which("openssl") is None:
        pytest.skip("Apache absent : installez-le (apt-get install apache2) pour tester apache-calfeed.conf.")
    folder, _base, live_port = site
    # Apache never serves as root: its own user must reach the files (pytest's folders are private).
    tmp = Path(tempfile.mkdtemp(prefix="calfeed-apache-"))
    tmp.chmod(0o755)
    shutil.copytree(folder / "feeds", tmp / "site" / "feeds")
    kit = _kit(tmp / "site", tmp)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(tmp / "cle.pem"), "-out",
                    str(tmp / "cert.pem")], check=True, capture_output=True)
    http_port, https_port = _free_port(), _free_port()
    conf = ((kit / "apache-calfeed.conf").read_text(encoding="utf-8")
            .replace("<VirtualHost *:80>", f"<VirtualHost 127.0.0.1:{http_port}>")
            .replace("<VirtualHost *:443>", f"<VirtualHost 127.0.0.1:{https_port}>")
            .replace("127.0.0.1:8000", f"127.0.0.1:{live_port}")
            .replace("/etc/letsencrypt/live/localhost/fullchain.pem", str(tmp / "cert.pem"))
            .replace("/etc/letsencrypt/live/localhost/privkey.pem", str(tmp / "cle.pem"))
            .replace("        # AuthType Basic", "        AuthType Basic").replace("        # AuthName", "        AuthName")
            .replace("        # AuthUserFile /etc/apache2/calfeed.htpasswd", f"        AuthUserFile {tmp}/htpasswd")
            .replace("        # Require valid-user", "        Require valid-user"))
    (kit / "apache-calfeed.conf").write_text(conf, encoding="utf-8")
    hashed = subprocess.run(["openssl", "passwd", "-apr1", "secret"], capture_output=True, text=True).stdout.strip()
    (tmp / "htpasswd").write_text(f"equipe:{hashed}\n")
    modules = "".join(f"LoadModule {name}_module /usr/lib/apache2/modules/mod_{name}.so\n" for name in APACHE_MODULES)
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    (tmp / "apache.conf").write_text(
        f"ServerRoot {tmp}\nPidFile {tmp}/apache.pid\nErrorLog {tmp}/error.log\nLogLevel warn\nServerName localhost\n"
        f"Listen 127.0.0.1:{http_port}\nListen 127.0.0.1:{https_port}\n{modules}{user}"
        f"Mutex file:{tmp}\nTypesConfig /dev/null\nInclude {kit}/apache-calfeed.conf\n")
    command = [binary, "-f", str(tmp / "apache.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*command, "-D", "FOREGROUND"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(f"http://127.0.0.1:{http_port}/", process, tmp / "error.log", allow_redirects=False)
    yield {"http": f"http://127.0.0.1:{http_port}", "https": f"https://localhost:{https_port}",
           "cert": str(tmp / "cert.pem"), "folder": tmp / "site"}
    process.terminate()
    process.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)


def test_apache_serves_the_tree_like_nginx(apache):
    get = lambda path, **kw: requests.get(apache["https"] + path, verify=apache["cert"], timeout=5, **kw)  # noqa: E731
    feed = get("/feeds/categorie/labs.ics", headers={"Accept-Encoding": "gzip", "User-Agent": "Microsoft Outlook 16.0"})
    assert feed.status_code == 200 and feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in feed.headers and feed.headers["Cache-Control"] == "public, max-age=3600"
    assert feed.content == (apache["folder"] / "feeds/categorie/labs.ics").read_bytes()
    assert get("/feeds/categorie/labs.ics", headers={"If-None-Match": feed.headers["ETag"]}).status_code == 304
    assert get("/feeds/").headers["Content-Type"] == "text/html; charset=utf-8"
    assert get("/feeds/.calfeed-build").status_code == 404
    # Assets are kept a day (caching.py), with the same security headers as every answer.
    asset = get("/feeds/static/calfeed.css")
    assert asset.status_code == 200 and asset.headers["Cache-Control"] == "public, max-age=86400"
    assert asset.headers["Content-Security-Policy"] == security_headers("/feeds/static/calfeed.css")["Content-Security-Policy"]
    assert get("/feeds/index.html").headers["Cache-Control"] == "public, max-age=3600"
    _same_security_headers_as_the_live_app(get)
    reminder = get("/feeds/tous.ics?rappel=30")
    assert reminder.status_code == 200 and b"BEGIN:VALARM" in reminder.content
    assert get("/etat").status_code == 401
    assert get("/etat.json", auth=("equipe", "secret")).json()["sources"]
    redirect = requests.get(apache["http"] + "/feeds/tous.ics", allow_redirects=False, timeout=5)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")


def test_systemd_units_verify(site, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze absent : les unités systemd ne peuvent pas être vérifiées ici.")
    folder, _base, _port = site
    kit = _kit(folder, tmp_path)
    units = [str(kit / name) for name in ("calfeed-serve.service", "calfeed-actualiser.service", "calfeed-actualiser.timer")]
    checked = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True,
                             env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    problems = [line for line in checked.stderr.splitlines() if "calfeed" in line]
    assert checked.returncode == 0 and not problems, checked.stderr
    for unit in units:
        assert "@" not in Path(unit).read_text().replace("EnvironmentFile=-", "")  # every placeholder filled


def test_container_image_definition():
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    instructions = [line.split()[0] for line in text.replace("\\\n", " ").splitlines() if line and not line.startswith("#")]
    assert instructions[0] == "FROM" and "HEALTHCHECK" in instructions and "VOLUME" in instructions
    user = re.search(r"^USER (\S+)", text, re.M)
    assert user and user.group(1) not in ("root", "0") and text.index("USER") < text.index("CMD")
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), f"COPY {name} : absent du dossier du projet"
    assert "/etat.json" in text.split("HEALTHCHECK", 1)[1]
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.skip("aucun moteur de conteneurs (docker) ici : l'image n'est vérifiée que dans sa structure.")
    built = subprocess.run(["docker", "build", "-f", str(DEPLOY / "Containerfile"), "-t", "calfeed-test", str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]


def test_placeholders_are_filled_everywhere(tmp_path):
    kit = _kit(tmp_path, tmp_path)
    for path in kit.iterdir():
        assert not re.search(r"@[A-Z_]+@", path.read_text()), path.name
    assert fill("$host @SERVEUR@", {"SERVEUR": "x"}) == "$host x"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_s_help_is_french(runner, command):
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Utilisation : ") and "Affiche cette aide et quitte." in result.output
    assert "Usage:" not in result.output and "Show this message" not in result.output


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB file system: what a full disk does to a build or a backup."""
    folder = tmp_path / "petit-disque"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("un disque plein se simule par un tmpfs de 64 Kio : il faut pouvoir monter (root).")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("arguments", [["build", "--no-fetch", "--output", "{disk}/feeds"], ["backup", "{disk}/base.sqlite"]])
def test_a_full_disk_is_said_in_french_without_traceback(tmp_path, monkeypatch, runner, full_disk, arguments):
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["build"]).exit_code == 0
    result = runner.invoke(cli, [argument.format(disk=full_disk) for argument in arguments])
    assert result.exit_code == 1 and "est plein" in result.output and "Libérez de la place" in result.output, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError)
