"""The agents' site's identity and legal texts, read from the `site:` section of `sources.yaml`
(its keys are checked by config_schema)."""

from dataclasses import dataclass
from typing import Any

# Pages of text, from the `site:` section and the clients' table (legal.html): every one linked from the footer.
LEGAL_PAGES = {"accessibilite": "Déclaration d'accessibilité", "mentions-legales": "Mentions légales",
               "donnees-personnelles": "Données personnelles", "contact": "Contact", "plan-du-site": "Plan du site",
               "aide": "Aide : s'abonner, importer, afficher un agenda"}
SITE_MAP = (("index.html", "Les agendas (accueil)"), ("constructeur.html", "Composer mon agenda"),
            ("evenements.html", "Tous les événements"), ("mon-programme.html", "Mon programme"),
            ("aide.html", "Aide : s'abonner, importer, afficher un agenda"),
            ("accessibilite.html", "Déclaration d'accessibilité"), ("mentions-legales.html", "Mentions légales"),
            ("donnees-personnelles.html", "Données personnelles"), ("contact.html", "Contact"),
            ("plan-du-site.html", "Plan du site"))


@dataclass(frozen=True)
class SiteInfo:
    """Who publishes the agents' site and what its legal pages say (section `site:`); without an
    RGAA audit, the statement says « non conforme »."""

    brand: tuple[str, ...] = ("République", "française")
    service: str = ""
    operator: str = ""
    contact_email: str = ""
    contact_url: str = ""
    publication_director: str = ""
    host: str = ""
    accessibility: str = "non conforme"
    accessibility_note: str = ""
    legal_notice: str = ""


def read_site(section: dict[str, Any], edition_name: str) -> SiteInfo:
    """The `site:` section, already checked against SECTIONS["site"]; every key is optional."""
    values: dict[str, Any] = {key: str(value).strip() for key, value in section.items() if value is not None and key != "brand"}
    brand = tuple(str(line) for line in section.get("brand") or ()) or SiteInfo.brand
    return SiteInfo(**{**values, "brand": brand, "service": values.get("service") or f"Agendas du {edition_name}"})


def missing_legal(site: SiteInfo) -> list[str]:
    """The keys of `site:` the legal pages need and have not: a way to reach the publisher (the
    accessibility statement sends users to it) and what the legal notice must name (LCEN, art. 6 III)."""
    missing = [] if site.contact_email or site.contact_url else ["contact_email ou contact_url"]
    return missing + [key for key in ("publication_director", "host") if not getattr(site, key)]
