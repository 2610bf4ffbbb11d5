"""Measure the agents' site in headless Chromium: keyboard stops and height of the home page, where
the first subscribe control is, and the weight of each page type (bytes actually loaded).

Usage: python scripts/measure_site.py http://127.0.0.1:5000 [--chromium /usr/bin/chromium]
It only reads pages of the given site; the figures go to standard output.
"""

import argparse
import shutil

from playwright.sync_api import sync_playwright

SIZES = {"1280": {"width": 1280, "height": 800}, "375": {"width": 375, "height": 740}}
SUBSCRIBE = ("S'abonner", "Outlook", "Google Agenda")


def keyboard_stops(page, limit=3000) -> int:
    """Press Tab until focus comes back to where it started (or leaves the page)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen = 0
    first = None
    for _ in range(limit):
        page.keyboard.press("Tab")
        marker = page.evaluate("""() => { const e = document.activeElement;
            if (!e || e === document.body) return null;
            if (!e.dataset.mesure) e.dataset.mesure = String(Math.random());
            return e.dataset.mesure; }""")
        if marker is None or marker == first:
            break
        first = first or marker
        seen += 1
    return seen


def stops_to_subscribe(page, limit=200) -> int | None:
    """Tab presses from the top of the page to the first subscribe control (a « S'abonner » summary)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for stops in range(1, limit):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement && document.activeElement.matches('details.abonner > summary')"):
            return stops
    return None


def first_subscribe_top(page):
    return page.evaluate("""(words) => {
        for (const e of document.querySelectorAll('a, button, summary')) {
            const text = (e.innerText || '').trim();
            const r = e.getBoundingClientRect();
            if (r.height && words.some(w => text.startsWith(w))) return Math.round(r.top + window.scrollY);
        }
        return null; }""", list(SUBSCRIBE))


def weight(browser, url):
    """Bytes of every response the page loads, from a cold cache, by kind."""
    context = browser.new_context(viewport=SIZES["1280"], locale="fr-FR")
    page = context.new_page()
    totals = {"html": 0, "css": 0, "js": 0, "font": 0, "other": 0}
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="networkidle")
    for response in responses:
        kind = response.request.resource_type
        kind = {"document": "html", "stylesheet": "css", "script": "js"}.get(kind, kind)
        try:
            size = len(response.body())
        except Exception:  # redirects have no body
            size = 0
        totals[kind if kind in totals else "other"] += size
    context.close()
    return totals


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        for label, size in SIZES.items():
            context = browser.new_context(viewport=size, locale="fr-FR")
            page = context.new_page()
            page.goto(base + "/", wait_until="networkidle")
            height = page.evaluate("document.documentElement.scrollHeight")
            to_first = stops_to_subscribe(page)
            page.goto(base + "/", wait_until="networkidle")
            print(f"home {label}px: height {height} px, first subscribe control at {first_subscribe_top(page)} px, "
                  f"keyboard stops to it {to_first}, "
                  f"keyboard stops {keyboard_stops(page)}, links {page.locator('a').count()}, "
                  f"buttons {page.locator('button, summary, .bouton, .fr-btn').count()}")
            context.close()
        context = browser.new_context(viewport=SIZES["1280"], locale="fr-FR")
        page = context.new_page()
        page.goto(base + "/feeds/evenements.html")
        event = page.locator("main article h3 a, main .fr-card__link, main li a[href*='evenements/']").first
        event_url = base + "/feeds/" + event.get_attribute("href").removeprefix("/feeds/").removeprefix("./")
        pages = {"accueil": "/", "constructeur": "/feeds/constructeur.html", "liste": "/feeds/evenements.html",
                 "événement": event_url.removeprefix(base), "programme": "/feeds/mon-programme.html",
                 "état": "/etat", "intégrer": "/feeds/integrer/categorie/labs.html",
                 "accessibilité": "/feeds/accessibilite.html", "404": "/feeds/inconnu.ics", "400": "/feeds/selection.ics?theme=x"}
        for name, path in pages.items():
            totals = weight(browser, base + path)
            print(f"weight {name}: total {sum(totals.values()) / 1024:.0f} Kio (" +
                  ", ".join(f"{k} {v / 1024:.0f}" for k, v in totals.items() if v) + ")")
        browser.close()


if __name__ == "__main__":
    main()
