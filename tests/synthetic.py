"""Generate a realistic synthetic programme (French text, every category and theme, 10 % all-day,
5 % cancelled) as CSV sources with a sources.yaml, for the benchmarks.

    python tests/synthetic.py DOSSIER NOMBRE [--sources N]
"""

import argparse
import random
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ["labs", "etat", "collectivites", "operateurs", "associations"]
THEMES = ["experience-usagers", "efficacite-operationnelle", "innovation-territoriale", "transition-ecologique",
          "participation-citoyenne", "innovation-manageriale", "donnees-numerique"]
TYPES = ["atelier", "table-ronde", "webinaire", "conference", "visite", "rencontre", "session-creative"]
REGIONS = ["Auvergne-Rhône-Alpes", "Bretagne", "Grand Est", "Hauts-de-France", "Île-de-France", "Normandie",
           "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire", "Provence-Alpes-Côte d'Azur", "La Réunion",
           "Guadeloupe"]
ZONES = {"La Réunion": "Indian/Reunion", "Guadeloupe": "America/Guadeloupe"}
CITIES = ["Rennes", "Nantes", "Lyon", "Lille", "Strasbourg", "Bordeaux", "Toulouse", "Marseille", "Rouen", "Metz"]
WORDS = ["innovation", "usagers", "données", "écologie", "participation", "agents", "simplification", "numérique",
         "co-construction", "territoires", "démarche", "expérimentation", "méthodes", "design", "service public"]
FORMATS = ["présentiel", "en ligne", "hybride"]
HEADER = ["id", "titre", "description", "date_debut", "heure_debut", "heure_fin", "fuseau", "lieu", "ville",
          "region", "format", "lien_en_ligne", "organisateur", "categorie", "themes", "type", "lien", "statut"]


def sentence(rng, words):
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def rows(rng, count, offset):
    for n in range(offset, offset + count):
        region = rng.choice(REGIONS)
        all_day = rng.random() < 0.10
        day = 2 + n % 29
        hour = 8 + rng.randrange(10)
        attendance = rng.choice(FORMATS)
        yield [
            f"ev-{n}",
            f"{rng.choice(['Atelier', 'Table ronde', 'Webinaire', 'Conférence', 'Visite'])} « {sentence(rng, 4)} » n° {n}",
            f"{sentence(rng, 25)}.\n{sentence(rng, 18)} ; « {sentence(rng, 3)} », avec des accents : é, è, à, ç.",
            f"{day:02d}/11/2022",
            "" if all_day else f"{hour}h{rng.choice(['00', '30'])}",
            "" if all_day else f"{hour + 2}h00",
            ZONES.get(region, ""),
            f"Salle {rng.randrange(1, 40)}",
            rng.choice(CITIES),
            region,
            attendance,
            f"https://visio.example.gouv.fr/{n}" if attendance != "présentiel" else "",
            f"Organisateur {n % 400}",
            rng.choice(CATEGORIES),
            ", ".join(rng.sample(THEMES, rng.randrange(1, 3))),
            rng.choice(TYPES),
            f"https://programme.example.gouv.fr/evenements/{n}",
            "annulé" if rng.random() < 0.05 else "",
        ]


def write_programme(folder: Path, count: int, sources: int = 1, seed: int = 2022) -> Path:
    """Write `count` events split over `sources` CSV files, and a sources.yaml; return its path."""
    import csv
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    document = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    document["sources"] = []
    document["store"] = {"path": "store/calfeed.sqlite"}
    per_source = count // sources
    for index in range(sources):
        size = per_source if index < sources - 1 else count - per_source * (sources - 1)
        name = f"programme-{index}.csv"
        with open(folder / name, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, delimiter=";")
            writer.writerow(HEADER)
            writer.writerows(rows(rng, size, index * per_source))
        document["sources"].append({"id": f"programme-{index}", "type": "csv", "path": name,
                                    "max_bytes": 500 * 1024 * 1024})
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--sources", type=int, default=1)
    args = parser.parse_args()
    print(write_programme(args.folder, args.count, args.sources))
