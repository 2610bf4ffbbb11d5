"""The static build: the only code that writes under the output folder, atomically, never outside it."""

import fcntl
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CalfeedError, DiskError
from .feeds import feed_chunks
from .addresses import static_feeds

MARKER = ".calfeed-build"
MANAGED_SUFFIXES = (".ics", ".html", ".json", ".css", ".js", ".woff", ".woff2", ".svg", ".png", ".ico", ".md")
# The temporary files _write makes (mkstemp: ".<name>.<8 random characters>.tmp"); a killed build leaves them.
BLOCK = 1 << 20  # read and write buffers: a feed is written in few system calls
TEMPORARY = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")


@dataclass
class BuildReport:
    folder: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _target(folder: Path, relative: str) -> Path:
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder):
        raise CalfeedError(f"chemin refusé : {relative} sortirait du dossier {folder}.")
    return path


def _write(folder: Path, relative: str, chunks, report: BuildReport, staged: list):
    """Write a changed file to a temporary file beside it, added to `staged`; `_write_site` renames every
    staged file once all are written: a reader sees the old file or the new, whole, and a build that
    fails (a full disk) replaces nothing.

    `chunks` is bytes or an iterable of bytes (a large feed is never held whole in memory).
    An unchanged file is left as it is, modification time included, and is only read, never copied.
    """
    path = _target(folder, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    chunks = iter([chunks] if isinstance(chunks, bytes) else chunks)
    same, first = _same_prefix(path, chunks)
    if first is None:
        report.unchanged.append(relative)
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    staged.append((Path(temporary), path, relative))  # removed by _write_site if anything fails
    with os.fdopen(handle, "wb", buffering=BLOCK) as stream:
        if same:  # the leading bytes compared equal: copied from the old file (the folder is locked)
            _copy_start(path, same, stream)
        stream.write(first)
        stream.writelines(chunks)
    os.chmod(temporary, 0o644)


def _copy_start(path: Path, length: int, stream):
    with open(path, "rb") as old:
        while length:
            block = old.read(min(BLOCK, length))
            if not block:
                raise CalfeedError(f"{path} a été raccourci pendant le build : relancez « calfeed build ».")
            stream.write(block)
            length -= len(block)


def _same_prefix(path: Path, chunks) -> tuple[int, bytes | None]:
    """Compare the new bytes with the existing file as they come: (how many leading bytes are equal,
    the first chunk that differs — b"" when the new bytes end early — or None when the file is the same)."""
    if not path.is_file():
        return 0, next(chunks, b"")
    same = 0
    with open(path, "rb", buffering=BLOCK) as old:
        for chunk in chunks:
            if old.read(len(chunk)) != chunk:
                return same, chunk
            same += len(chunk)
        return (same, b"") if old.read(1) else (same, None)


MARKER_TEXT = "Dossier écrit par « calfeed build » : son contenu est regénéré à chaque build.\n"
OWNER_PREFIX = "configuration : "


def prepare_folder(folder: Path, config_path: Path) -> Path:
    """The output folder, resolved; refuse a non-empty folder that calfeed did not create, and one that
    another configuration builds (its marker names its configuration, relative to the folder)."""
    folder = Path(folder).resolve()
    if folder.exists() and not folder.is_dir():
        raise CalfeedError(f"{folder} existe et n'est pas un dossier : choisissez un autre --output.")
    marker = folder / MARKER
    if folder.exists() and any(folder.iterdir()) and not marker.exists():
        raise CalfeedError(f"le dossier {folder} n'est pas vide et n'a pas été créé par « calfeed build » : "
                           "choisissez un dossier vide ou nouveau avec --output, pour ne rien y écraser.")
    owner = _owner(marker, folder)
    if owner is not None and owner.exists() and owner.resolve() != config_path.resolve():
        raise CalfeedError(f"le dossier {folder} est publié par une autre configuration ({owner.resolve()}) : "
                           f"pour {config_path.name}, choisissez un autre dossier, par exemple "
                           f"--output {folder.name}-{config_path.stem}.")
    folder.mkdir(parents=True, exist_ok=True)
    text = MARKER_TEXT + OWNER_PREFIX + Path(os.path.relpath(config_path.resolve(), folder)).as_posix() + "\n"
    if not marker.exists() or marker.read_text(encoding="utf-8") != text:  # a rebuild touches no file
        marker.write_text(text, encoding="utf-8")
    return folder


def _owner(marker: Path, folder: Path) -> Path | None:
    """The configuration that last built the folder, from its marker (None for an older marker)."""
    if not marker.exists():
        return None
    for line in marker.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(OWNER_PREFIX):
            return folder / line.removeprefix(OWNER_PREFIX)
    return None


def _lock_folder(folder: Path):
    """Hold the folder for this build alone (released when the returned file is closed or the process ends)."""
    handle = open(folder / MARKER, "rb")  # kept open for the whole build: the lock lives with it
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise CalfeedError(f"un autre « calfeed build » écrit déjà dans {folder} : attendez qu'il finisse.") from None
    return handle


def remove_stale_temporaries(folder: Path) -> list[str]:
    """Remove the temporary files a killed build left; safe because the folder is locked by this build."""
    removed = []
    for path in sorted(folder.rglob("*.tmp")):
        if path.is_file() and TEMPORARY.fullmatch(path.name):
            path.unlink()
            removed.append(path.relative_to(folder).as_posix())
    return removed


def write_site(config, programme, folder: Path, pages) -> BuildReport:
    """Write every feed (subscription and import variants) and the given pages (pairs of path and
    bytes, produced one at a time), then remove the files of feeds and pages that no longer exist —
    only after the new ones are in place.
    """
    progress = {"replacing": False}
    try:
        folder = prepare_folder(folder, config.path)
        lock = _lock_folder(folder)
        try:
            return _write_site(config, programme, folder, pages, progress)
        finally:
            lock.close()
    except OSError as exc:  # a full or read-only disk, no permission: said plainly, never a traceback
        if DiskError.kind_of(exc.errno) is None:
            raise  # a wrong path, not the disk: the CLI names it (cli.common.os_error_message)
        kept = ("chaque fichier du dossier est entier, du build précédent ou de celui-ci"
                if progress["replacing"] else
                "aucun fichier du dossier n'a été remplacé, il garde le dernier build réussi")
        raise DiskError.from_os_error(Path(folder), exc, kept) from None


def _write_site(config, programme, folder: Path, pages, progress: dict) -> BuildReport:
    report = BuildReport(folder)
    report.removed.extend(remove_stale_temporaries(folder))
    expected, staged = set(), []
    try:
        for relative, request in static_feeds(config, programme):
            _write(folder, relative, feed_chunks(config, programme, request), report, staged)
            expected.add(relative)
        for relative, data in pages:
            _write(folder, relative, data, report, staged)
            expected.add(relative)
        progress["replacing"] = True
        for temporary, path, relative in staged:
            os.replace(temporary, path)
            report.written.append(relative)
    except BaseException:
        for temporary, _, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and path.suffix in MANAGED_SUFFIXES and relative not in expected:
            path.unlink()
            report.removed.append(relative)
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return report
