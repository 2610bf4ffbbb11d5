"""Subscribe links for each calendar client, from a feed's absolute https address."""

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
