"""A store belongs to one configuration: the default store is named after the configuration file, and
each store records the configuration that owns it and refuses another (one would rewrite the other's
programme: cancel its events, bump every SEQUENCE)."""

from pathlib import Path

from ..config import default_store_path
from ..errors import StoreError
from . import Store


def store_owner(store: Store) -> Path | None:
    value = store.get_meta("owner")
    return Path(value) if value else None


def _claimable_by(store: Store, db, config_path: Path) -> bool:
    recorded = db.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
    if recorded:
        owner = Path(recorded[0])
        # A configuration that was moved or renamed keeps its store; a living other one never shares it,
        # unless the store is where this configuration's own name puts it by default: then it is a file of
        # its own, copied with the whole project folder (another configuration would have had to name it
        # in « store: path: »).
        return owner == config_path or not owner.exists() or _named_after(store, config_path)
    # A store from before owners were recorded: it is taken by an empty store's first user, by the
    # historic default name sources.yaml, or by the configuration it is named after; any other
    # configuration might be a scratch copy and must not rewrite a real programme.
    empty = db.execute("SELECT NOT EXISTS (SELECT 1 FROM sources) AND NOT EXISTS (SELECT 1 FROM published)"
                       ).fetchone()[0]
    return bool(empty) or config_path.name == "sources.yaml" or config_path.stem == store.path.stem


def _named_after(store: Store, config_path: Path) -> bool:
    return Path(store.path).resolve() == default_store_path(config_path).resolve()


def claim_store(store: Store, config_path: Path):
    """Record `config_path` as the store's owner, or refuse, saying what to do, if another owns it."""
    config_path = Path(config_path).resolve()
    with store.transaction() as db:
        if not _claimable_by(store, db, config_path):
            recorded = db.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
            owner = f"appartient à {recorded[0]}" if recorded else \
                "contient le programme d'une autre configuration (aucun propriétaire enregistré)"
            raise StoreError(
                f"la base {store.path} {owner}, pas à {config_path} : deux configurations ne partagent jamais "
                "une base (l'une réécrirait le programme de l'autre). Donnez à "
                f"{config_path.name} sa propre base : retirez « path: » de sa section « store: » (la base "
                f"sera alors .calfeed/{config_path.stem}.sqlite) ou indiquez-y un autre fichier.")
        recorded = db.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
        if not recorded or recorded[0] != str(config_path):  # `check` and `diff` leave the file as it was
            db.execute("INSERT OR REPLACE INTO meta VALUES ('owner', ?)", (str(config_path),))


def open_store(path: Path, owner: Path, legacy: Path | None = None) -> Store:
    """The store of the configuration file `owner`, checked to belong to it.

    `legacy` is the store an older calfeed used by default: an install that has it and not yet the
    new default store keeps using it, provided it belongs to this configuration.
    """
    owner = Path(owner).resolve()
    if legacy is not None and not Path(path).exists() and Path(legacy).exists():
        store = Store(legacy)
        with store.transaction() as db:
            mine = _claimable_by(store, db, owner)
        if mine:
            claim_store(store, owner)
            return store
        store.close()
    store = Store(path)
    claim_store(store, owner)
    return store
