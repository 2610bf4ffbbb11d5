"""What the command line prints about sources: honest exit codes, no terminal escapes from a source."""

from calfeed.cli import cli


def test_build_fails_when_every_source_failed(runner, project, tmp_path):
    path = project([{"id": "absente", "type": "ics", "path": "absente.ics", "category": "labs"},
                    {"id": "autre", "type": "csv", "path": "autre.csv", "category": "labs"}])
    result = runner.invoke(cli, ["build", "--config", str(path), "--output", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert "fichier introuvable" in result.output and "aucune source n'a pu être lue" in result.output
    assert not (tmp_path / "site").exists()


def test_build_succeeds_when_one_source_is_read(runner, project, tmp_path):
    (tmp_path / "agenda.csv").write_text("titre;date_debut\nAtelier;15/11/2022\n", encoding="utf-8")
    path = project([{"id": "absente", "type": "ics", "path": "absente.ics", "category": "labs"},
                    {"id": "tableur", "type": "csv", "path": "agenda.csv", "category": "labs"}])
    result = runner.invoke(cli, ["build", "--config", str(path), "--output", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "tous.ics").exists()


def test_check_prints_no_terminal_escape_from_a_source(runner, project, tmp_path):
    evil = "\x1b]0,pirate\x07\x1b[2J\x9b31m"
    (tmp_path / "agenda.csv").write_text(f"titre;date_debut;heure_debut\nAtelier;15/11/2022;{evil}\n"
                                         f"Atelier{evil};16/11/2022;10h\n", encoding="utf-8")
    path = project([{"id": "tableur", "type": "csv", "path": "agenda.csv", "category": "labs"}])
    result = runner.invoke(cli, ["check", "--config", str(path)])
    assert "heure illisible" in result.output
    assert "\\x1b]0,pirate" in result.output  # shown, made harmless
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in result.output
    result = runner.invoke(cli, ["fetch", "--config", str(path)])
    assert "\x1b" not in result.output and "\\x1b" in result.output


def test_preview_prints_no_terminal_escape_and_shows_what_came_back(runner, project, tmp_path):
    (tmp_path / "agenda.csv").write_text("titre;date_debut\nAtelier\x1b[2J;32/13/2022\n", encoding="utf-8")
    (tmp_path / "page.ics").write_text("<html><body>Maintenance\x1b]0,pirate\x07</body></html>", encoding="utf-8")
    path = project([{"id": "tableur", "type": "csv", "path": "agenda.csv", "category": "labs"},
                    {"id": "page", "type": "ics", "path": "page.ics", "category": "labs"}])
    for source in ("tableur", "page"):
        result = runner.invoke(cli, ["preview", source, "--config", str(path)])
        assert "\x1b" not in result.output and "\x07" not in result.output, result.output
    assert "reçu : début : « <html><body>Maintenance" in result.output
