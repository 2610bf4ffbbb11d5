"""`type: ics`: an iCalendar file or address (Outlook, Google Agenda, Nextcloud, Thunderbird…)."""

from ..adapters.ics import events_from_ics
from .kind import SourceType


def _is_calendar(start: bytes) -> bool:
    return start[:15].upper() == b"BEGIN:VCALENDAR"


ICS = SourceType(
    name="ics",
    summary="un calendrier iCalendar (.ics)",
    read=events_from_ics,
    recognise=_is_calendar,
    suffixes=(".ics", ".ical"),
    accept="text/calendar, */*;q=0.5",
    doc="""\
**Un agenda Google ou Nextcloud.** Google Agenda : Paramètres de l'agenda → « Adresse publique au format iCal »
(`https://calendar.google.com/calendar/ical/…/public/basic.ics`), l'agenda doit être public. Nextcloud : Agenda →
partager → « Lien de partage public », puis ajoutez `?export` à l'adresse du lien
(`https://cloud.exemple.fr/remote.php/dav/public-calendars/JETON?export`). Dans les deux cas : `type: ics`,
`url:` cette adresse, et une `category:` par défaut. Les rendez-vous marqués privés n'en sortent jamais.""",
    example="""\
  - id: tables-rondes            # identifiant unique, minuscules et tirets
    type: ics                    # un calendrier iCalendar (Outlook, Google, Nextcloud : url: https://…)
    path: exemples/tables-rondes.ics
    category: etat               # catégorie par défaut (voir categories: plus bas)
    organiser: DITP
    event_type: table-ronde
    region: ile-de-france
    timezone: Europe/Paris""",
)
