"""Subscribe links for each calendar client, from a feed's absolute https address."""

import datetime as dt
from urllib.parse import quote, urlencode


def subscribe_links(url: str, name: str) -> dict[str, str]:
    """Every way to add the feed at `url`: webcal for Apple, Thunderbird and classic Outlook;
    the "add from web" pages of Outlook on the web (365) and Outlook.com; Google's `cid` link.
    """
    webcal = "webcal://" + url.split("://", 1)[1] if "://" in url else url
    query = urlencode({"url": url, "name": name}, quote_via=quote)
    return {
        "https": url,
        "webcal": webcal,
        "outlook365": f"https://outlook.office.com/calendar/0/addfromweb?{query}",
        "outlookcom": f"https://outlook.live.com/calendar/0/addfromweb?{query}",
        "google": "https://calendar.google.com/calendar/r?" + urlencode({"cid": url}, quote_via=quote),
    }


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
