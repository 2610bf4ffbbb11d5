"""A store belongs to one configuration: a scratch copy of sources.yaml never rewrites the real programme."""

import shutil

import yaml

from calfeed.cli import cli
from calfeed.config import load_config
from calfeed.refresh import refresh_sources
from calfeed.store import Store
from calfeed.store.owner import store_owner


def run(runner, *args):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def versions(path):
    """uid → (SEQUENCE, cancelled?) of every published event of the store at `path`."""
    store = Store(path)
    try:
        return {uid: (row.sequence, row.vanished_at) for uid, row in store.published_versions().items()}
    finally:
        store.close()


def scratch_copy(config_path, name="essai.yaml", **changes):
    """A copy of the configuration beside it, with one source fewer (as an operator trying things)."""
    document = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    document["sources"] = document["sources"][:1]
    document.update(changes)
    path = config_path.parent / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_default_store_is_named_after_the_configuration(bundled):
    assert load_config(bundled).store_path == bundled.parent / ".calfeed" / "sources.sqlite"
    assert load_config(scratch_copy(bundled)).store_path == bundled.parent / ".calfeed" / "essai.sqlite"


def test_check_with_a_scratch_configuration_never_touches_the_real_programme(runner, bundled):
    assert run(runner, "fetch", "--config", str(bundled)).exit_code == 0
    real = bundled.parent / ".calfeed" / "sources.sqlite"
    before = versions(real)
    assert len(before) == 19 and not any(vanished for _, vanished in before.values())

    essai = scratch_copy(bundled)
    result = run(runner, "check", "--config", str(essai))
    assert result.exit_code == 0, result.output
    assert "4 événement(s) publiés" in result.output  # its own programme: one source
    assert versions(real) == before  # no event cancelled, no SEQUENCE bumped
    assert len(versions(bundled.parent / ".calfeed" / "essai.sqlite")) == 0  # check publishes nothing, anywhere
    assert run(runner, "fetch", "--config", str(essai)).exit_code == 0
    assert versions(real) == before
    assert len(versions(bundled.parent / ".calfeed" / "essai.sqlite")) == 4


def test_a_store_owned_by_another_configuration_is_refused(runner, bundled):
    assert run(runner, "fetch", "--config", str(bundled)).exit_code == 0
    real = bundled.parent / ".calfeed" / "sources.sqlite"
    before = versions(real)
    essai = scratch_copy(bundled, store={"path": ".calfeed/sources.sqlite"})
    result = run(runner, "check", "--config", str(essai))
    assert result.exit_code == 1
    assert f"la base {real} appartient à {bundled}, pas à {essai}" in result.output
    assert "Donnez à essai.yaml sa propre base" in result.output
    assert versions(real) == before


def test_an_old_install_keeps_its_store(runner, bundled):
    """calfeed used .calfeed/calfeed.sqlite for every configuration; sources.yaml keeps it, a copy does not."""
    legacy = bundled.parent / ".calfeed" / "calfeed.sqlite"
    store = Store(legacy)  # written as an older calfeed did: no owner recorded
    refresh_sources(load_config(bundled), store)
    store.close()
    before = versions(legacy)

    assert run(runner, "fetch", "--config", str(bundled)).exit_code == 0
    assert not (bundled.parent / ".calfeed" / "sources.sqlite").exists()
    assert versions(legacy) == before  # same events, same versions: nothing republished
    assert store_owner(Store(legacy)) == bundled

    essai = scratch_copy(bundled)
    assert run(runner, "check", "--config", str(essai)).exit_code == 0
    assert versions(legacy) == before
    assert (bundled.parent / ".calfeed" / "essai.sqlite").exists()


def test_an_unowned_store_with_a_programme_is_not_taken_by_a_scratch_copy(runner, bundled):
    shared = bundled.parent / ".calfeed" / "commun.sqlite"
    store = Store(shared)
    refresh_sources(load_config(bundled), store)
    store.close()
    before = versions(shared)
    essai = scratch_copy(bundled, store={"path": ".calfeed/commun.sqlite"})
    result = run(runner, "check", "--config", str(essai))
    assert result.exit_code == 1 and "aucun propriétaire enregistré" in result.output
    assert versions(shared) == before


def test_a_moved_configuration_keeps_its_store(runner, bundled, tmp_path):
    assert run(runner, "fetch", "--config", str(bundled)).exit_code == 0
    before = versions(bundled.parent / ".calfeed" / "sources.sqlite")
    moved = tmp_path / "ailleurs"
    shutil.move(bundled.parent, moved)
    assert run(runner, "fetch", "--config", str(moved / "sources.yaml")).exit_code == 0
    assert versions(moved / ".calfeed" / "sources.sqlite") == before
    assert store_owner(Store(moved / ".calfeed" / "sources.sqlite")) == moved / "sources.yaml"


def test_a_copied_project_folder_uses_its_own_copy_of_the_store(runner, bundled, tmp_path):
    """`cp -r` of a project: the copy's default store is a file of its own, named after its own
    configuration; it is taken over, and the original keeps its store and its owner."""
    assert run(runner, "fetch", "--config", str(bundled)).exit_code == 0
    original = bundled.parent / ".calfeed" / "sources.sqlite"
    before = versions(original)
    copy = tmp_path / "copie"
    shutil.copytree(bundled.parent, copy)
    result = run(runner, "check", "--config", str(copy / "sources.yaml"))
    assert result.exit_code == 0, result.output
    assert versions(copy / ".calfeed" / "sources.sqlite") == before
    assert store_owner(Store(copy / ".calfeed" / "sources.sqlite")) == copy / "sources.yaml"
    assert store_owner(Store(original)) == bundled.resolve()
    # A scratch configuration beside the copy that names the copy's store is still refused.
    essai = scratch_copy(copy / "sources.yaml", store={"path": ".calfeed/sources.sqlite"})
    refused = run(runner, "check", "--config", str(essai))
    assert refused.exit_code == 1 and "appartient à" in refused.output
