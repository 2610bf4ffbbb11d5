"""Send the static tree written by `calfeed build` where it is served at scale: an S3-compatible object
store (`s3://bucket/prefix`, behind a CDN) or another folder. Only changed files are sent (compared by
MD5, the ETag of a single-part S3 upload), each with its content type, charset and cache rules; assets
first, then feeds, then the pages that link to them; a feed is never deleted (a subscriber may still use it)."""

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .build import MANAGED_SUFFIXES, MARKER
from .caching import kind_of_file, static_cache_control
from .errors import CalfeedError

try:  # the optional extra calfeed[s3]: a folder destination needs nothing more
    import boto3
    import botocore.exceptions
except ImportError:  # pragma: no cover - depends on the installation
    boto3 = None

# Suffix → Content-Type; every suffix a build writes (build.MANAGED_SUFFIXES) has one (tests check it).
CONTENT_TYPES = {
    ".ics": "text/calendar; charset=utf-8", ".json": "application/json; charset=utf-8",
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8", ".md": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2",
}
FEEDS = (".ics", ".json")  # never deleted from the destination: calendar clients keep asking for them
PARALLEL = 8  # files sent at once: an object store answers each request with some latency


@dataclass
class UploadReport:
    destination: str
    sent: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # feeds gone from the build, left for their subscribers


def _rank(relative: str) -> int:
    """Assets first, feeds next, pages last: a page never links to a feed not yet there."""
    suffix = Path(relative).suffix
    return 2 if suffix == ".html" else 1 if suffix in FEEDS else 0


def local_files(folder: Path) -> list[tuple[str, Path]]:
    """The files of a built tree, in the order they are to be sent."""
    folder = Path(folder).resolve()
    if not (folder / MARKER).exists():
        raise CalfeedError(f"{folder} n'est pas un dossier écrit par « calfeed build » : lancez d'abord "
                           "« calfeed build », ou indiquez son dossier avec --from.")
    files = [(path.relative_to(folder).as_posix(), path) for path in folder.rglob("*")
             if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)]
    return sorted(files, key=lambda item: (_rank(item[0]), item[0]))


def headers_for(relative: str, refresh: dt.timedelta) -> tuple[str, str]:
    """(Content-Type, Cache-Control) of one file of the tree."""
    return (CONTENT_TYPES.get(Path(relative).suffix, "application/octet-stream"),
            static_cache_control(kind_of_file(relative), refresh))


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_tree(folder: Path, destination: str, *, refresh: dt.timedelta) -> UploadReport:
    """Send the built tree in `folder` to `destination` (s3://bucket/prefix or a folder)."""
    target = S3Target(destination) if destination.startswith("s3://") else FolderTarget(Path(destination))
    report = UploadReport(destination)
    files = local_files(folder)
    present = target.existing()
    changed = []
    for relative, path in files:
        (report.unchanged if present.get(relative) == _md5(path) else changed).append((relative, path))
    # Each rank is sent whole, several files at a time, before the next one starts.
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for rank in (0, 1, 2):
            batch = [(relative, path) for relative, path in changed if _rank(relative) == rank]
            list(pool.map(lambda item: target.put(item[0], item[1], *headers_for(item[0], refresh)), batch))
            report.sent.extend(relative for relative, _path in batch)
    report.unchanged = [relative for relative, _path in report.unchanged]
    built = {relative for relative, _path in files}
    for relative in sorted(set(present) - built):
        if Path(relative).suffix in FEEDS:
            report.kept.append(relative)
        elif Path(relative).suffix in MANAGED_SUFFIXES:  # a file calfeed did not write is not its to delete
            target.delete(relative)
            report.removed.append(relative)
    return report


class FolderTarget:
    """A folder served by a web server: files replaced whole (temporary file and rename), like the build."""

    def __init__(self, folder: Path):
        self.folder = Path(folder).resolve()

    def existing(self) -> dict[str, str]:
        if not self.folder.exists():
            return {}
        return {path.relative_to(self.folder).as_posix(): _md5(path) for path in self.folder.rglob("*")
                if path.is_file() and not path.name.startswith(".")}

    def put(self, relative: str, path: Path, _content_type: str, _cache_control: str):
        target = self.folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        try:
            shutil.copyfile(path, temporary)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        finally:
            Path(temporary).unlink(missing_ok=True)

    def delete(self, relative: str):
        (self.folder / relative).unlink(missing_ok=True)


class S3Target:
    """A bucket of an S3-compatible object store; credentials, region and endpoint (AWS_ENDPOINT_URL) come
    from the standard AWS_* environment variables, read by boto3."""

    def __init__(self, destination: str):
        if boto3 is None:
            raise CalfeedError("l'envoi vers s3:// demande boto3 : installez « pip install 'calfeed[s3]' ».")
        bucket, _, prefix = destination.removeprefix("s3://").partition("/")
        if not bucket:
            raise CalfeedError(f"« {destination} » : indiquez le seau, par exemple s3://mon-seau/agendas.")
        self.bucket, self.prefix = bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client("s3")

    def existing(self) -> dict[str, str]:
        found = {}
        with _s3_errors(self.bucket):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", ()):
                    found[item["Key"][len(self.prefix):]] = item["ETag"].strip('"')
        return found

    def put(self, relative: str, path: Path, content_type: str, cache_control: str):
        with _s3_errors(self.bucket), open(path, "rb") as body:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + relative, Body=body,
                                   ContentType=content_type, CacheControl=cache_control)

    def delete(self, relative: str):
        with _s3_errors(self.bucket):
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + relative)


class _s3_errors:
    """boto3's errors said in French, naming the bucket and what to check."""

    def __init__(self, bucket: str):
        self.bucket = bucket

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _trace):
        if error is None or boto3 is None or not isinstance(error, botocore.exceptions.BotoCoreError | botocore.exceptions.ClientError):
            return False
        if isinstance(error, botocore.exceptions.NoCredentialsError):
            why = "aucun identifiant : définissez AWS_ACCESS_KEY_ID et AWS_SECRET_ACCESS_KEY"
        elif isinstance(error, botocore.exceptions.EndpointConnectionError):
            why = "serveur injoignable : vérifiez AWS_ENDPOINT_URL"
        elif isinstance(error, botocore.exceptions.ClientError):
            code = error.response.get("Error", {}).get("Code", "")
            why = {"NoSuchBucket": "ce seau n'existe pas", "AccessDenied": "accès refusé : vérifiez les droits de la clé",
                   "InvalidAccessKeyId": "clé d'accès inconnue : vérifiez AWS_ACCESS_KEY_ID",
                   "SignatureDoesNotMatch": "clé secrète refusée : vérifiez AWS_SECRET_ACCESS_KEY"}.get(code, code)
        else:
            why = str(error)
        raise CalfeedError(f"envoi vers le seau « {self.bucket} » impossible : {why}.") from None
