"""Links that add a feed or an event to each calendar client.

How each client subscribes is written once, here, as address templates (`CLIENTS`): the pages fill them
on the server when the feed's address is known, and give them to the page script as data for the
addresses only the browser knows (the builder's choices, « Mon programme », a static copy)."""

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .model import Event


@dataclass(frozen=True)
class Client:
    key: str  # the link's data-lien
    label: str  # what the page says
    # One line: what opens, how often the client reads the feed again, what the agent sees.
    refresh: str
    # The link, from the feed's address: {url} the address, {host_path} the same without its scheme, {name}
    # the calendar's name; with _q (« {name_q} »), percent-encoded as a query value. "" when the agent
    # copies the address into the client (the page links to the address field instead).
    template: str
    part_of: str = ""  # shown as a second link inside another client's choice (its key)
    # One event (its page's « Ajouter à mon agenda »): which link serves this client (an `event_links` key, or
    # "ics" for the event's file) and what the agent sees then.
    event_link: str = "ics"
    event_hint: str = "Ouvrez le fichier téléchargé : l'événement s'ajoute à votre agenda."


# One choice per client, most used first on a ministry PC. What each line says about refreshing comes from
# the clients' documentation and reports (README « S'abonner ou importer »); a client reads the feed from
# where it runs: Outlook on the web and Google from their own servers, so the address must be public https.
CLIENTS = (
    Client("outlook365", "Outlook (Microsoft 365, nouvel Outlook, Outlook sur le web)",
           "Outlook ouvre « S'abonner à partir du web », adresse remplie. Les serveurs de Microsoft relisent "
           "l'agenda environ toutes les 3 heures (parfois plus d'une journée) : un changement n'y apparaît pas "
           "tout de suite.",
           "https://outlook.office.com/calendar/0/addfromweb?url={url_q}&name={name_q}",
           event_link="outlook", event_hint="Outlook ouvre l'événement prérempli : enregistrez-le. C'est une copie, "
                                            "qu'un changement du programme ne met pas à jour."),
    Client("outlookcom", "compte personnel Outlook.com", "",
           "https://outlook.live.com/calendar/0/addfromweb?url={url_q}&name={name_q}", part_of="outlook365",
           event_link=""),
    Client("outlookclassique", "Outlook classique (Windows)",
           "Outlook demande « Ajouter ce calendrier Internet ? » : répondez « Oui ». Il relit l'agenda à son "
           "ouverture puis régulièrement. Si rien ne s'ouvre : « Ajouter un calendrier », « À partir "
           "d'Internet », et collez l'adresse.",
           "webcal://{host_path}",
           event_hint="Ouvrez le fichier téléchargé : Outlook ajoute l'événement ; s'il change, rouvrir le fichier "
                      "le met à jour."),
    # Google's `cid=` shortcut is undocumented and reported to fail (« Impossible d'ajouter l'agenda »): the
    # link opens the documented « À partir de l'URL » form, where the agent pastes the address.
    Client("google", "Google Agenda",
           "Google ouvre « À partir de l'URL » : collez-y l'adresse ci-dessous. Google relit l'agenda une à "
           "trois fois par jour, sans qu'on puisse le forcer, et n'affiche pas les événements annulés.",
           "https://calendar.google.com/calendar/r/settings/addbyurl",
           event_link="google", event_hint="Google ouvre l'événement prérempli : enregistrez-le."),
    Client("apple", "Apple Calendrier (Mac, iPhone, iPad)",
           "Calendrier demande de confirmer l'abonnement ; sur Mac, choisissez l'actualisation « Toutes les "
           "heures ». Les annulations restent visibles, titre précédé de « ANNULÉ ».",
           "webcal://{host_path}"),
    Client("thunderbird", "Thunderbird",
           "Thunderbird relit l'agenda toutes les 30 minutes. Si le lien ne l'ouvre pas : « Nouvel agenda », "
           "« Sur le réseau », et collez l'adresse.",
           "webcal://{host_path}"),
    Client("autre", "Autre agenda (Zimbra, BlueMind, webmail…)",
           "Copiez l'adresse ci-dessous et collez-la dans « S'abonner à un agenda », « Agenda distant » ou "
           "« Calendrier externe (iCal) » de votre messagerie ; elle le relit à son propre rythme.",
           "", event_hint="Importez le fichier téléchargé dans votre agenda (« Importer », « Ajouter un fichier »)."),
)
PLACEHOLDER = re.compile(r"\{(url|host_path|name)(_q)?\}")


def fill(template: str, url: str, name: str) -> str:
    """A client's link to the feed at `url` named `name` (the page script fills templates the same way)."""
    values = {"url": url, "host_path": url.split("://", 1)[-1], "name": name}
    return PLACEHOLDER.sub(lambda found: quote(values[found[1]], safe="") if found[2] else values[found[1]],
                           template)


def subscribe_links(url: str, name: str) -> dict[str, str]:
    """Every way to add the feed at `url` (an absolute address), by client key, and the address itself."""
    return {"https": url, **{client.key: fill(client.template, url, name) for client in CLIENTS if client.template}}


def clients_data() -> list[dict[str, str]]:
    """The subscribe templates as plain data, for the page script: it holds no client rule of its own."""
    return [{"key": client.key, "template": client.template} for client in CLIENTS if client.template]


def event_links(event: Event, details: str = "") -> dict[str, str]:
    """Links that open one event, filled in, in Google Agenda (event template) and Outlook on the web
    (compose page); the event's own .ics covers every other calendar."""
    if not isinstance(event.start, dt.datetime) or not isinstance(event.end, dt.datetime):  # all day: both dates
        dates = f"{event.start:%Y%m%d}/{event.end:%Y%m%d}"  # Google: the end day is excluded, as in iCalendar
        start, end = event.start.isoformat(), event.end.isoformat()
    else:
        begin, finish = event.start.astimezone(dt.UTC), event.end.astimezone(dt.UTC)
        dates = f"{begin:%Y%m%dT%H%M%SZ}/{finish:%Y%m%dT%H%M%SZ}"
        start, end = event.start.isoformat(), event.end.isoformat()
    place = ", ".join(part for part in (event.location.name, event.location.address,
                                        f"{event.location.postal_code} {event.location.city}".strip()) if part)
    google = {"action": "TEMPLATE", "text": event.title, "dates": dates, "details": details, "location": place}
    outlook = {"path": "/calendar/action/compose", "rru": "addevent", "subject": event.title, "startdt": start,
               "enddt": end, "allday": "true" if event.all_day else "false", "body": details, "location": place}
    return {
        "google": "https://calendar.google.com/calendar/render?" + urlencode(google, quote_via=quote),
        "outlook": "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(outlook, quote_via=quote),
    }
