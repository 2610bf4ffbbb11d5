"""Write tableur_excel.xlsx, the Excel fixture: real Excel dates and times, « Intitulé », « Horaires », a date
range and a second sheet. Run `python tests/data/make_tableur_xlsx.py` to write it again."""

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def write_workbook(path: Path = HERE / "tableur_excel.xlsx") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Programme"
    sheet.append(["Intitulé", "Date", "Heure", "Horaires", "Lieu", "Code postal", "Structure organisatrice",
                  "Catégorie", "Commentaire"])
    sheet.append(["Hackathon des données locales", dt.datetime(2022, 11, 21), dt.time(9, 30), None, "Hôtel de ville",
                  31000, "Toulouse Métropole", "Collectivités", "à confirmer"])
    sheet.append(["Atelier accessibilité", dt.datetime(2022, 11, 22, 14, 0), None, None, "Maison des associations",
                  31000, "Toulouse Métropole", "Collectivités", None])
    sheet.append(["Rencontre des agents", "du 24 au 25 novembre 2022", None, "de 10h à 12h", "Capitole", 31000,
                  "Toulouse Métropole", "Collectivités", None])
    sheet.append(["Ligne sans date", None, None, "14h", None, None, "Toulouse Métropole", "Collectivités", None])
    archive = workbook.create_sheet("Archives 2021")
    archive.append(["Nom de la session", "Jour", "Créneau"])
    archive.append(["Session de 2021", dt.date(2021, 11, 18), "14h - 15h"])
    workbook.save(path)
    return path


if __name__ == "__main__":
    print(write_workbook())
