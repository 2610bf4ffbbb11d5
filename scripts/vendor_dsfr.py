"""Refresh the French State's design system (DSFR) files served by the site, from the official npm package.

    python scripts/vendor_dsfr.py            # needs Node.js and npm, only when refreshing

It installs `@gouvfr/dsfr` at the pinned VERSION into a temporary folder, then writes into
src/calfeed/static/dsfr/ only what the site uses: one stylesheet made of the core and of the
components listed below (each file as published, concatenated in the package's order, with its
`url(...)` paths made relative to the new file), the icons those rules and ICONS name, the fonts,
one script made of the core and the interactive components, the favicons and the licence.
The result is committed, so running the site needs neither Node.js nor the network.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

VERSION = "1.15.3"
# Components whose styles the templates use, in the order of the package's own dsfr.css.
COMPONENTS = ("link", "button", "tag", "badge", "logo", "skiplink", "navigation", "header", "footer", "accordion",
              "form", "input", "checkbox", "alert", "modal")
# Components whose behaviour the pages use (mobile menu, accordions, modal).
SCRIPTS = ("navigation", "header", "modal", "accordion", "button")
# Icons named by the templates (class fr-icon-<name>), with their family folder.
ICONS = {"calendar-line": "business", "calendar-event-line": "business", "download-line": "system",
         "add-line": "system", "close-line": "system", "links-line": "business", "external-link-line": "system",
         "arrow-right-line": "arrows", "mail-line": "business", "list-unordered": "editor", "star-line": "system",
         "checkbox-circle-line": "system", "information-line": "system"}
TARGET = Path(__file__).resolve().parent.parent / "src" / "calfeed" / "static" / "dsfr"
HEADER = ("/*! DSFR v{version} (@gouvfr/dsfr, Etalab-2.0, see LICENSE.md): core and components {names}, "
          "written by scripts/vendor_dsfr.py */\n")


def _restyle(css: str, depth_prefix: str) -> str:
    """Paths in a component's file are relative to it; make them relative to the bundle."""
    return css.replace(f"url({depth_prefix}fonts/", "url(fonts/").replace(f"url({depth_prefix}icons/", "url(icons/")


def main() -> int:
    if shutil.which("npm") is None:
        sys.exit("npm est introuvable : installez Node.js et npm pour rafraîchir les fichiers du DSFR.")
    with tempfile.TemporaryDirectory() as folder:
        # --ignore-scripts: the package's preinstall script expects a DSFR starter project, not a plain copy.
        subprocess.run(["npm", "install", "--prefix", folder, "--ignore-scripts", "--no-audit", "--no-fund",
                        "--silent", f"@gouvfr/dsfr@{VERSION}"], check=True)
        dist = Path(folder) / "node_modules" / "@gouvfr" / "dsfr" / "dist"
        if TARGET.exists():
            shutil.rmtree(TARGET)
        (TARGET / "fonts").mkdir(parents=True)
        parts = [HEADER.format(version=VERSION, names=", ".join(COMPONENTS))]
        parts.append(_restyle((dist / "core" / "core.min.css").read_text(encoding="utf-8"), "../"))
        for name in COMPONENTS:
            parts.append(_restyle((dist / "component" / name / f"{name}.min.css").read_text(encoding="utf-8"),
                                  "../../"))
        for icon, family in ICONS.items():
            css = (dist / "utility" / "icons" / f"icons-{family}" / f"icons-{family}.min.css").read_text(encoding="utf-8")
            rule = re.search(r"\.fr-icon-%s:after,\.fr-icon-%s:before\{[^}]*\}" % (icon, icon), css)
            if rule is None:
                sys.exit(f"icône fr-icon-{icon} absente de la famille {family} du DSFR {VERSION}")
            parts.append(rule.group(0).replace("url(../../../icons/", "url(icons/"))
        bundle = "\n".join(re.sub(r"/\*!.*?\*/", "", part, flags=re.S) if i else part for i, part in enumerate(parts))
        (TARGET / "dsfr.min.css").write_text(bundle, encoding="utf-8")
        for relative in sorted(set(re.findall(r"url\(((?:fonts|icons)/[^)]+)\)", bundle))):
            destination = TARGET / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dist / relative, destination)
        scripts = [(dist / "core" / "core.module.min.js").read_text(encoding="utf-8")]
        scripts += [(dist / "component" / name / f"{name}.module.min.js").read_text(encoding="utf-8")
                    for name in SCRIPTS]
        (TARGET / "dsfr.module.min.js").write_text("\n".join(scripts), encoding="utf-8")
        (TARGET / "favicon").mkdir()
        for name in ("favicon.svg", "favicon.ico", "apple-touch-icon.png"):
            shutil.copyfile(dist / "favicon" / name, TARGET / "favicon" / name)
        shutil.copyfile(dist.parent / "LICENSE.md", TARGET / "LICENSE.md")
        (TARGET / "VERSION").write_text(VERSION + "\n", encoding="utf-8")
    size = sum(path.stat().st_size for path in TARGET.rglob("*") if path.is_file())
    print(f"DSFR {VERSION} écrit dans {TARGET} ({size // 1024} Kio).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
