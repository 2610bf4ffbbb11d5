"""Links that add a feed or an event to each calendar client.

How each client subscribes is written once, here, as address templates (`CLIENTS`): the pages fill them
on the server when the feed's address is known, and give them to the page script as data for the
addresses only the browser knows (the builder's choices, « Mon programme », a static copy)."""

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class Client:
    key: str  # the link's data-lien
    label: str  # what the page says
    hint: str  # a help line under the link, or ""
    # The link, from the feed's address: {url} the address, {host_path} the same without its scheme, {name}
    # the calendar's name; with _q (« {name_q} »), percent-encoded as a query value.
    template: str


CLIENTS = (
    Client("outlook365", "Nouvel Outlook, Outlook sur le web, Microsoft 365",
           "Outlook ouvre « S'abonner à partir du web » avec l'adresse déjà remplie.",
           "https://outlook.office.com/calendar/0/addfromweb?url={url_q}&name={name_q}"),
    Client("outlookcom", "Outlook.com (compte personnel)", "",
           "https://outlook.live.com/calendar/0/addfromweb?url={url_q}&name={name_q}"),
    # Google Agenda gets the webcal address: it answers an https one with « adresse e-mail non associée ».
    Client("google", "Google Agenda", "", "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F{host_path_q}"),
    # Apple Calendar, Thunderbird and classic Outlook open webcal addresses as subscriptions.
    Client("webcal", "Apple Calendrier, Thunderbird, Outlook classique",
           "Outlook classique : « Ajouter un calendrier », puis « À partir d'Internet ».", "webcal://{host_path}"),
)
PLACEHOLDER = re.compile(r"\{(url|host_path|name)(_q)?\}")


def fill(template: str, url: str, name: str) -> str:
    """A client's link to the feed at `url` named `name` (the page script fills templates the same way)."""
    values = {"url": url, "host_path": url.split("://", 1)[-1], "name": name}
    return PLACEHOLDER.sub(lambda found: quote(values[found[1]], safe="") if found[2] else values[found[1]],
                           template)


def subscribe_links(url: str, name: str) -> dict[str, str]:
    """Every way to add the feed at `url` (an absolute address), by client key, and the address itself."""
    return {"https": url, **{client.key: fill(client.template, url, name) for client in CLIENTS}}


def clients_data() -> list[dict]:
    """The subscribe templates as plain data, for the page script: it holds no client rule of its own."""
    return [{"key": client.key, "template": client.template} for client in CLIENTS]


def event_links(event, details: str = "") -> dict[str, str]:
    """Links that open one event, filled in, in Google Agenda (event template) and Outlook on the web
    (compose page); the event's own .ics covers every other calendar."""
    if event.all_day:
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
