import ipaddress
import shutil
import socket
from pathlib import Path

import pytest
import yaml


ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def _is_local(host) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


BROWSER_GROUPS = 2


def pytest_collection_modifyitems(config, items):
    """The browser's tests share a Chromium and the sites it reads (module fixtures): under pytest -n they go, in
    turn, to BROWSER_GROUPS groups (--dist loadgroup), each run by one process that starts them once; two groups
    keep the browser's share of the suite from holding one core while the other is done."""
    browser = [item for item in items if item.get_closest_marker("browser")]
    for number, item in enumerate(browser):
        item.add_marker(pytest.mark.xdist_group(f"browser-{number % BROWSER_GROUPS}"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that tries to reach a host other than this machine's loopback."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if isinstance(address, tuple) and not _is_local(address[0]):
            raise RuntimeError(f"un test a tenté de joindre {address} : les tests n'utilisent pas le réseau")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host if isinstance(host, str) else None) and not _is_local(str(host)):
            raise RuntimeError(f"un test a tenté de résoudre {host} : les tests n'utilisent pas le réseau")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def project(tmp_path):
    """Write a sources.yaml with the project's vocabulary and the given sources; return its path.

    Files named in `files` are copied from tests/data into the project folder.
    """
    def make(sources, files=(), **sections):
        document = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
        document["sources"] = sources
        document["store"] = {"path": "store/calfeed.sqlite"}
        for key, value in sections.items():
            if isinstance(value, dict) and isinstance(document.get(key), dict):
                document[key] = {**document[key], **value}
            else:
                document[key] = value
        for name in files:
            shutil.copy(DATA / name, tmp_path / name)
        path = tmp_path / "sources.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path
    return make


@pytest.fixture
def bundled(tmp_path):
    """A copy of the repository's sources.yaml and bundled data, with its store in tmp_path."""
    folder = tmp_path / "bundled"
    folder.mkdir()
    shutil.copy(ROOT / "sources.yaml", folder / "sources.yaml")
    shutil.copytree(ROOT / "data", folder / "data")
    return folder / "sources.yaml"


@pytest.fixture
def app(bundled):
    from calfeed.web import create_app, start
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(bundled), "CALFEED_CHECK_SECONDS": 0})
    start(app)  # as `calfeed serve` does before the first request
    yield app
    app.extensions["calfeed"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    from click.testing import CliRunner
    return CliRunner()
