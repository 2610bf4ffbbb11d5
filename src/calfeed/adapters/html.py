"""Rich text from sources (Google and Outlook descriptions, OpenAgenda's long description) to plain text.

Read with the standard library's HTML parser: block elements become line breaks, links keep their
address, scripts and styles are dropped. Text without any HTML tag is returned unchanged.
"""

from html.parser import HTMLParser

_BLOCKS = {"p", "div", "section", "article", "header", "footer", "blockquote", "pre", "table", "tr",
           "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "title"}
_KNOWN = _BLOCKS | {"a", "br", "b", "strong", "i", "em", "u", "span", "font", "img", "td", "th", "tbody", "thead",
                    "html", "head", "body", "meta", "style", "script", "small", "sup", "sub", "s", "code",
                    "o:p", "label", "abbr", "center", "link"}
_HIDDEN = {"script", "style", "head", "title"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags = 0
        self.hidden = 0
        self.links: list[tuple[str, int]] = []  # (href, index in parts where its text starts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _KNOWN:
            # Not HTML we know: "<3 ateliers>" in plain text stays as it was written.
            self.parts.append(self.get_starttag_text() or "")
            return
        self.tags += 1
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag == "p" else "\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN:
            self.hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in _KNOWN:
            self.parts.append(f"</{tag}>")
            return
        self.tags += 1
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS and tag != "li":
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href, begin = self.links.pop()
            label = "".join(self.parts[begin:]).strip()
            if href.lower().startswith(("http://", "https://", "mailto:")) and href not in label:
                shown = href.removeprefix("mailto:")
                self.parts.append(f" ({shown})" if label else shown)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Readable text from `value` if it holds HTML, with each link's address after its label."""
    if not value or "<" not in value:
        return value or ""
    parser = _TextParser()
    parser.feed(value)
    parser.close()
    if not parser.tags:
        return value
    lines = [" ".join(line.split()) for line in "".join(parser.parts).replace("\xa0", " ").split("\n")]
    text, blank = [], False
    for line in lines:
        if line:
            text.append(line)
            blank = False
        elif text and not blank:
            text.append("")
            blank = True
    return "\n".join(text).strip()
