"""The command line: clear French messages naming the file, line or source; never a traceback."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calfeed.cli import cli

PARIS = ZoneInfo("Europe/Paris")


def run(runner, *args):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_check_on_the_bundled_programme(runner, bundled):
    result = run(runner, "check", "--config", str(bundled))
    assert result.exit_code == 0, result.output
    assert "configuration valide, 2 source(s), 19 événement(s) publiés" in result.output
    assert "ditp-tables-rondes  OK" in result.output


def test_fetch_reports_each_source(runner, bundled):
    result = run(runner, "fetch", "--config", str(bundled))
    assert result.exit_code == 0
    assert "OK  ditp-tables-rondes : 4 événement(s)" in result.output
    assert "OK  programme-2022 : 15 événement(s)" in result.output


@pytest.mark.parametrize("text, expected", [
    ("sources: [\n  - id: a\n    type: ics\n  bad", "YAML invalide"),
    ("sources:\n  - id: a\n    type: rss\n    path: a.ics\ncategories: {labs: Labs}\n", "ligne 3 : source « a » : type inconnu « rss »"),
    ("sources:\n  - id: a\n    type: ics\ncategories: {labs: Labs}\n", "ligne 2 : source « a » : indiquez soit « url: »"),
    ("sources:\n  - id: a\n    type: ics\n    path: ../../etc/passwd\ncategories: {labs: Labs}\n", "sort du dossier"),
    ("sources:\n  - id: a\n    type: ics\n    url: ftp://x/a.ics\ncategories: {labs: Labs}\n", "doit commencer par http"),
    ("sources:\n  - id: a\n    type: ics\n    path: a.ics\n    category: ministeres\ncategories: {labs: Labs}\n",
     "catégorie inconnue « ministeres ». Catégories possibles : labs"),
    ("sources:\n  - id: a\n    type: ics\n    path: a.ics\n    timezone: Paris\ncategories: {labs: Labs}\n",
     "fuseau horaire inconnu « Paris »"),
    ("sources:\n  - id: a\n    type: ics\n    path: a.ics\n  - id: a\n    type: ics\n    path: b.ics\ncategories: {labs: Labs}\n",
     "ligne 5 : l'id de source « a » est déjà utilisé"),
    ("categories: {labs: Labs}\n", "aucune source"),
    ("sources:\n  - id: a\n    type: ics\n    path: a.ics\ncategories: {labs: Labs}\nselections:\n  s:\n    name: S\n    filter: {categorie: [labos]}\n",
     "valeur inconnue « labos » pour « categorie »"),
    ("sources:\n  - id: a\n    type: ics\n    path: a.ics\ncategories: {labs: Labs}\nselections:\n  s:\n    name: S\n    filter: {couleur: [bleu]}\n",
     "critère inconnu « couleur »"),
])
def test_config_mistakes_name_file_and_line(runner, tmp_path, text, expected):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    result = run(runner, "check", "--config", str(path))
    assert result.exit_code == 1
    assert str(path) in result.output and expected in result.output


def test_missing_config_file(runner, tmp_path):
    result = run(runner, "build", "--config", str(tmp_path / "absent.yaml"))
    assert result.exit_code == 1 and "fichier introuvable" in result.output and "--config" in result.output


@pytest.mark.parametrize("command", ["check", "build", "fetch"])
def test_a_store_path_under_a_file_is_said_in_french_naming_the_setting(runner, project, tmp_path, command):
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    (tmp_path / "agenda.csv").write_text("id;titre;date_debut;categorie\na;A;15/11/2022;labs\n", encoding="utf-8")
    path = project([{"id": "bon", "type": "csv", "path": "agenda.csv"}], store={"path": "afile/calfeed.sqlite"})
    result = run(runner, command, "--config", str(path))
    assert result.exit_code == 1
    assert "File exists" not in result.output and "Not a directory" not in result.output
    assert "afile" in result.output and "« store: path: »" in result.output


def test_check_fails_on_a_failing_source(runner, project, tmp_path):
    (tmp_path / "agenda.csv").write_text("id;titre;date_debut;categorie\na;A;15/11/2022;labs\nb;B;32/11/2022;labs\n")
    path = project([{"id": "bon", "type": "csv", "path": "agenda.csv"},
                    {"id": "absent", "type": "ics", "path": "absent.ics", "category": "labs"}])
    result = run(runner, "check", "--config", str(path))
    assert result.exit_code == 1
    assert "absent" in result.output and "ÉCHEC" in result.output and "fichier introuvable" in result.output
    assert "bon — rejeté — ligne 3 : cellule « date_debut » : date impossible « 32/11/2022 »" in result.output
    result = run(runner, "fetch", "--config", str(path))
    assert result.exit_code == 1 and "absent.ics. Vérifiez" in result.output
    assert "aucun événement de cette source n'est publié" in result.output  # never read: nothing of it stays
    (tmp_path / "absent.ics").write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:A\r\n"
                                         "DTSTART:20221115T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    assert run(runner, "fetch", "--config", str(path)).exit_code == 0
    (tmp_path / "absent.ics").unlink()
    result = run(runner, "fetch", "--config", str(path))
    assert result.exit_code == 1 and "absent.ics. Vérifiez « path: » dans sources.yaml. — les derniers événements " \
                                      "valides restent publiés" in result.output


def test_build_never_writes_into_a_foreign_folder(runner, bundled, tmp_path):
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "rapport.html").write_text("important")
    result = run(runner, "build", "--config", str(bundled), "--output", str(foreign))
    assert result.exit_code == 1 and "n'a pas été créé par « calfeed build »" in result.output
    assert (foreign / "rapport.html").read_text() == "important"


def test_build_removes_feeds_that_no_longer_exist(runner, bundled, tmp_path):
    output = tmp_path / "site"
    assert run(runner, "build", "--config", str(bundled), "--output", str(output)).exit_code == 0
    stale = output / "categorie" / "ancienne.ics"
    stale.write_text("BEGIN:VCALENDAR")
    temporary = list(output.rglob("*.tmp"))
    result = run(runner, "build", "--config", str(bundled), "--output", str(output), "--no-fetch")
    assert result.exit_code == 0 and "1 supprimé(s)" in result.output
    assert not stale.exists() and temporary == [] and (output / "categorie" / "labs.ics").exists()


def test_unknown_source_for_fetch(runner, bundled):
    result = run(runner, "fetch", "--config", str(bundled), "--source", "nulle-part")
    assert result.exit_code == 1 and "source inconnue : nulle-part" in result.output


@pytest.mark.parametrize("name", ["mon-programme", "tous", "selection", "constructeur", "integrer", "import"])
def test_a_named_selection_may_not_take_an_address_of_the_site(runner, tmp_path, name):
    """A selection named like a page or feed of the site would be written by the build and answered
    otherwise by the live service: the selection module's reserved names refuse it at load time."""
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: a\n    type: ics\n    path: a.ics\ncategories: {labs: Labs}\n"
        f"selections:\n  {name}:\n    name: Essai\n    filter: {{categorie: [labs]}}\n", encoding="utf-8")
    result = run(runner, "check", "--config", str(tmp_path / "sources.yaml"), "--no-fetch")
    assert result.exit_code == 1
    assert f"sélection « {name} » : ce nom est déjà celui d'une adresse du site" in result.output
    assert "ligne 7" in result.output


def test_a_rebuild_with_nothing_changed_rewrites_no_file(runner, bundled, tmp_path):
    output = tmp_path / "site"
    first = run(runner, "build", "--config", str(bundled), "--output", str(output))
    assert first.exit_code == 0 and "0 inchangé(s)" in first.output
    stamps = {path: path.stat().st_mtime_ns for path in output.rglob("*") if path.is_file()}
    second = run(runner, "build", "--config", str(bundled), "--output", str(output))
    assert second.exit_code == 0 and " 0 fichier(s) écrit(s)" in second.output
    assert {path: path.stat().st_mtime_ns for path in output.rglob("*") if path.is_file()} == stamps


def test_the_committed_feeds_are_what_a_fresh_build_writes(runner, bundled, tmp_path):
    """feeds/ in the repository is the bundled programme's static site, byte for byte."""
    from conftest import ROOT
    output = tmp_path / "site"
    assert run(runner, "build", "--config", str(bundled), "--output", str(output)).exit_code == 0
    built = {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()}
    committed = {p.relative_to(ROOT / "feeds").as_posix(): p.read_bytes() for p in (ROOT / "feeds").rglob("*")
                 if p.is_file()}
    # The marker names the configuration that builds the folder, relative to it.
    assert committed.pop(".calfeed-build").endswith(b"configuration : ../sources.yaml\n")
    assert built.pop(".calfeed-build").endswith(b"configuration : ../bundled/sources.yaml\n")
    assert sorted(built) == sorted(committed)
    assert [name for name in built if built[name] != committed[name]] == []


@pytest.mark.parametrize("args", [["-h"], ["check", "-h"], ["preview", "--help"]])
def test_help_lines_are_in_french(runner, args):
    result = runner.invoke(cli, args)
    assert result.exit_code == 0
    assert "Affiche cette aide et quitte." in result.output
    assert "Show this message" not in result.output and "Show the version" not in result.output


def test_check_says_when_in_the_programme_s_time_zone(runner, bundled):
    result = run(runner, "check", "--config", str(bundled))
    [row] = [line for line in result.output.splitlines() if line.startswith("ditp-tables-rondes ")]
    assert "+00:00" not in row and "T" not in row.split()[2]
    shown = dt.datetime.strptime(" ".join(row.split()[2:4]), "%d/%m/%Y %H:%M").replace(tzinfo=PARIS)
    assert abs(shown - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


@pytest.mark.parametrize("args, said", [
    (["check", "--no-fetc"], "option inconnue « --no-fetc » ; vouliez-vous dire --no-fetch ?"),
    (["accept"], "il manque SOURCES"),
    (["serve", "--port", "abc"], "--port attend un nombre entier"),
    (["serve", "--workers", "99"], "--workers attend un nombre entier de 1 à 64"),
    (["chek"], "commande inconnue « chek » ; vouliez-vous dire check ?"),
    (["--verison"], "option inconnue « --verison » ; vouliez-vous dire --version ?"),
    (["preview", "--type"], "l'option « --type » attend une valeur"),
])
def test_command_line_mistakes_are_said_in_french(runner, args, said):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert f"Erreur : {said}" in result.output, result.output
    assert "Error" not in result.output and "Usage:" not in result.output


def test_help_pages_use_french_words_for_click_s_own(runner):
    for args in (["-h"], ["serve", "-h"], ["preview", "-h"]):
        output = runner.invoke(cli, args).output
        assert output.startswith("Utilisation : ") and "Options :" in output
        assert not any(word in output for word in ("Usage:", "Commands:", "[default:", " TEXT", " FILE", "INTEGER"))
    assert "Commandes :" in runner.invoke(cli, ["-h"]).output
    assert "(par défaut : 5000)" in runner.invoke(cli, ["serve", "-h"]).output


def test_build_fails_when_every_source_failed(runner, project, tmp_path):
    path = project([{"id": "absente", "type": "ics", "path": "absente.ics", "category": "labs"}])
    result = runner.invoke(cli, ["build", "--config", str(path), "--output", str(tmp_path / "site")])
    assert result.exit_code == 1, result.output
    assert "Erreur : aucune source n'a pu être lue" in result.output
    assert "aucun événement de cette source n'est publié" in result.output  # never read: nothing stays published
    assert "restent publiés" not in result.output


def test_serve_on_a_port_in_use_says_so_at_once(runner, bundled):
    import socket
    import time
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = runner.invoke(cli, ["serve", "--config", str(bundled), "--port", str(port), "--no-refresh"])
    assert time.monotonic() - started < 5  # gunicorn alone retries for five seconds
    assert result.exit_code == 1
    assert f"Erreur : impossible d'écouter sur 127.0.0.1:{port} : port déjà utilisé" in result.output


def test_a_second_configuration_never_builds_into_the_first_ones_folder(runner, bundled):
    """`calfeed build --config essai.yaml` next to the real sources.yaml must not rewrite the real site
    (issue 10, point 6, for the static tree): the folder belongs to the configuration that built it."""
    folder = bundled.parent
    assert run(runner, "build", "--config", str(bundled), "--output", str(folder / "feeds")).exit_code == 0
    before = {p: p.read_bytes() for p in (folder / "feeds").rglob("*") if p.is_file()}
    essai = folder / "essai.yaml"
    essai.write_text(bundled.read_text(encoding="utf-8").replace("Mois de l'innovation publique 2022", "Essai"),
                     encoding="utf-8")
    result = run(runner, "build", "--config", str(essai), "--output", str(folder / "feeds"))
    assert result.exit_code == 1 and "est publié par une autre configuration" in result.output
    assert "--output feeds-essai" in result.output
    assert {p: p.read_bytes() for p in (folder / "feeds").rglob("*") if p.is_file()} == before
    assert run(runner, "build", "--config", str(essai), "--output", str(folder / "feeds-essai")).exit_code == 0


def test_serve_opens_no_gunicorn_control_socket_another_instance_would_share(bundled):
    """gunicorn ≥ 25.1 puts one control socket per user in $HOME: two services on a machine would share it."""
    from calfeed.server import _Server
    server = _Server({"bind": "127.0.0.1:0", "workers": 1}, {"CALFEED_CONFIG": str(bundled)})
    if "control_socket_disable" in server.cfg.settings:
        assert server.cfg.control_socket_disable is True
    else:
        assert not any(name.startswith("control_socket") for name in server.cfg.settings)


def test_check_and_build_say_what_the_legal_pages_lack(runner, bundled, tmp_path):
    """The shipped sources.yaml names no contact, publication director nor host: the team is told before
    publishing a site whose « écrivez-nous » leads nowhere; a complete `site:` section gets no warning."""
    from calfeed.cli import cli
    checked = runner.invoke(cli, ["check", "--config", str(bundled)])
    assert checked.exit_code == 0
    assert "à renseigner avant de publier : contact_email ou contact_url, publication_director, host." in checked.stderr
    # In production the same gaps stop the publication before anything is written; the demo only warns.
    refused = runner.invoke(cli, ["build", "--production", "--no-fetch", "--config", str(bundled), "--output",
                                  str(tmp_path / "refuse")])
    assert refused.exit_code != 0 and "publication refusée (--production)" in refused.output
    assert "publication_director, host" in refused.output and not (tmp_path / "refuse").exists()
    text = bundled.read_text(encoding="utf-8")
    for key, value in (("contact_url", "https://agenda.example/contact"),
                       ("publication_director", "La directrice de la DITP"),
                       ("host", "OVH, 2 rue Kellermann, 59100 Roubaix")):
        assert f'  {key}: ""' in text
        text = text.replace(f'  {key}: ""', f"  {key}: {value}", 1)
    bundled.write_text(text, encoding="utf-8")
    built = runner.invoke(cli, ["build", "--production", "--config", str(bundled), "--output", str(tmp_path / "site")])
    assert built.exit_code == 0, built.output
    assert "à renseigner" not in built.output
    assert "OVH, 2 rue Kellermann" in (tmp_path / "site" / "mentions-legales.html").read_text(encoding="utf-8")
