"""A new installation: the starter `sources.yaml` (vocabulary, one example source of each type, reading
example files shipped with the package) and the deploy kit (systemd units, container image, nginx),
copied out of the package into the team's folder. Never overwrites a file."""

import datetime as dt
import shutil
from pathlib import Path

from .caching import deploy_policies
from .errors import CalfeedError
from .security import static_policies

PACKAGE = Path(__file__).resolve().parent
STARTER = PACKAGE / "starter"  # sources.yaml and exemples/
DEPLOY = PACKAGE / "deploy"
CONFIG_NAME = "sources.yaml"


def write_starter(folder: Path) -> list[Path]:
    """Write the starter configuration and its example files into `folder`; the files written."""
    folder = Path(folder)
    targets = [(path, folder / path.relative_to(STARTER)) for path in sorted(STARTER.rglob("*")) if path.is_file()]
    _refuse_existing([target for _source, target in targets], "calfeed init")
    for source, target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return [target for _source, target in targets]


def deploy_values(folder: Path, *, executable: Path, user: str, server: str, refresh: dt.timedelta) -> dict[str, str]:
    """What fills the kit's @PLACEHOLDERS@: the folder, the `calfeed` command, its user, the public name, the
    cache policies (caching.py) of the feeds' refresh interval."""
    return {"DOSSIER": str(Path(folder).resolve()), "CALFEED": str(executable), "UTILISATEUR": user,
            "SERVEUR": server, "CERTIFICAT": f"/etc/letsencrypt/live/{server}/fullchain.pem",
            "CLE": f"/etc/letsencrypt/live/{server}/privkey.pem",
            "DOSSIER_NGINX": "/etc/nginx/snippets", **static_policies(), **deploy_policies(refresh)}


def write_deploy_kit(folder: Path, values: dict[str, str]) -> list[Path]:
    """Write the deploy kit into `folder`/deploy, each @NAME@ replaced by `values`; the files written."""
    target_folder = Path(folder) / "deploy"
    targets = [(path, target_folder / path.name) for path in sorted(DEPLOY.iterdir()) if path.is_file()]
    _refuse_existing([target for _source, target in targets], "calfeed init --deploy")
    target_folder.mkdir(parents=True, exist_ok=True)
    for source, target in targets:
        target.write_text(fill(source.read_text(encoding="utf-8"), values), encoding="utf-8")
    return [target for _source, target in targets]


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each @NAME@ replaced (not string.Template: nginx's own $variables must stay as they are)."""
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def _refuse_existing(targets: list[Path], command: str) -> None:
    existing = [target for target in targets if target.exists()]
    if existing:
        shown = ", ".join(str(path) for path in existing[:3]) + (" …" if len(existing) > 3 else "")
        raise CalfeedError(f"{shown} existe déjà : « {command} » n'écrase aucun fichier. Choisissez un autre dossier, "
                           "ou renommez ces fichiers.")
