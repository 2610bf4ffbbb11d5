"""Bytes of a source to text, decoded right or refused: never a replacement character or mojibake published."""

import codecs
import re
from typing import Protocol

from charset_normalizer import from_bytes

from ..errors import SourceError


class Named(Protocol):
    """A source as its errors name it (config.Source, of a higher layer)."""

    @property
    def id(self) -> str: ...

# Bump when decoding changes what text a body gives: every source is then read again.
DECODER_VERSION = 3
# Labels that servers send for « Latin-1 » mean Windows-1252 in practice (the WHATWG encoding standard
# decodes them so): 0x92 is then the typographic apostrophe, not an invisible control character.
_WINDOWS_1252_LABELS = {"iso8859-1", "ascii", "cp1252"}
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Encodings in which a French export may come when it is not UTF-8. Left free, charset-normalizer prefers
# Central European code pages for short French texts (« très » read as « trčs »): the choice is narrowed
# to the Western ones, and a body none of them explains is refused.
_CANDIDATES = ["cp1252", "iso8859_15", "mac_roman", "cp850", "utf_16", "utf_32"]
# UTF-8 text decoded once too often at its origin: « CafÃ© », « lâ€™été ».
_MOJIBAKE = re.compile("[ÂÃ][\u0080-\u00bf]|â€")


def garbled(text: str) -> str:
    """The first sign that `text` was garbled before calfeed read it (« \ufffd », « Ã© »), or ""."""
    if "\ufffd" in text:
        return text[max(0, text.index("\ufffd") - 10):text.index("\ufffd") + 10]
    match = _MOJIBAKE.search(text)
    return text[max(0, match.start() - 10):match.end() + 10] if match else ""


def decode_text(data: bytes, charset: str | None, source: Named) -> tuple[str, list[str]]:
    """The text of a source's body, and warnings saying what was guessed or repaired.

    Order: a byte order mark; valid UTF-8; the charset the server declared; UTF-8 with a few stray
    Windows-1252 bytes (each repaired, with its line); an encoding detected by charset-normalizer.
    Raise SourceError when none gives a sure reading.
    """
    warnings: list[str] = []
    text = _decode(data, _charset_name(charset, warnings), source, warnings)
    if "\ufffd" in text:
        warnings.append(f"la source contient déjà des caractères de remplacement (« \ufffd », ligne "
                        f"{_line_of(text, text.index(chr(0xfffd)))}) : texte abîmé à l'origine, à corriger à la source")
    if match := _MOJIBAKE.search(text):
        warnings.append(f"texte probablement mal encodé à la source (« {match.group()} », ligne "
                        f"{_line_of(text, match.start())}) : vérifiez les accents dans le fichier d'origine")
    return text, warnings


def _decode(data: bytes, declared: str | None, source: Named, warnings: list[str]) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError:
                raise SourceError(source.id, f"contenu illisible : il commence par la marque d'ordre des octets "
                                             f"{encoding.upper()} mais n'est pas écrit dans cet encodage.") from None
    if declared and declared.startswith(("utf-16", "utf-32")):
        try:  # checked first: plain ASCII in UTF-16 is valid UTF-8 too (with a NUL after each letter)
            return data.decode(declared)
        except UnicodeDecodeError:
            warnings.append(f"le contenu n'est pas écrit dans l'encodage « {declared} » annoncé par le serveur")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if declared and declared != "utf-8" and not text.isascii():
            warnings.append(f"le serveur annonce l'encodage « {declared} » mais le contenu est de l'UTF-8 valide : "
                            "lu en UTF-8")
        return text
    if declared and declared != "utf-8":
        try:
            return _decode_with(data, declared)
        except UnicodeDecodeError:
            warnings.append(f"le contenu n'est pas écrit dans l'encodage « {declared} » annoncé par le serveur")
    elif declared:
        warnings.append("le serveur annonce de l'UTF-8 mais le contenu n'en est pas")
    repaired = _repair_stray_bytes(data, warnings)
    if repaired is not None:
        return repaired
    guess = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if guess is None:
        raise SourceError(source.id, "encodage du contenu non reconnu (ni UTF-8 ni un encodage occidental sûr) : "
                                     "enregistrez la source en UTF-8.")
    encoding = "cp1252" if "cp1252" in guess.could_be_from_charset else guess.encoding
    if encoding in ("cp1252", "iso8859_15") or encoding in ("mac_roman", "cp850") and _french_in_western(data):
        encoding = _windows_or_latin9(data, source)
    warnings.append(f"n'est pas en UTF-8 (encodage deviné, {encoding}) ; "
                    "enregistrez la source en UTF-8 pour en être sûr")
    return _decode_with(data, encoding)


# The bytes Windows-1252 and ISO-8859-15 (Latin-9) read differently, outside 0x80–0x9F: (Latin-9, Windows).
_LATIN9_OR_WINDOWS = {0xA4: ("€", "¤"), 0xA6: ("Š", "¦"), 0xA8: ("š", "¨"), 0xB4: ("Ž", "´"), 0xB8: ("ž", "¸"),
                      0xBC: ("Œ", "¼"), 0xBD: ("œ", "½"), 0xBE: ("Ÿ", "¾")}
_DIGITS = frozenset(b"0123456789")


# What the non-ASCII characters of a French text are: accented letters, guillemets, the euro, the degree.
_FRENCH = frozenset("àâäæçéèêëîïôöœùûüÿÀÂÄÆÇÉÈÊËÎÏÔÖŒÙÛÜŸ«»€°’‘“”–—…·")


def _french_in_western(data: bytes) -> bool:
    """Whether Windows-1252 or Latin-9 reads every non-ASCII byte of `data` as French text would have it.

    Charset-normalizer may prefer Mac Roman or DOS 850 for a short body (« L'HAŸ » read « L'HAæ »); a body
    the Western code pages read as plain French is theirs."""
    return any(all(char.isascii() or char in _FRENCH for char in data.decode(encoding, "replace"))
               for encoding in ("cp1252", "iso8859_15"))


def _is_letter(byte: int | None) -> bool:
    """A letter in both encodings: ASCII, or the accented letters 0xC0–0xFF (× and ÷ aside)."""
    return byte is not None and (chr(byte).isascii() and chr(byte).isalpha() or byte >= 0xC0 and byte not in (0xD7, 0xF7))


def _windows_or_latin9(data: bytes, source: Named) -> str:
    """Windows-1252 or ISO-8859-15 for a Western body without declaration, proved by its bytes, or SourceError.

    Charset-normalizer cannot tell them apart: both read every byte, and differ on € Š š Ž ž Œ œ Ÿ (Latin-9)
    against ¤ ¦ ¨ ´ ¸ ¼ ½ ¾ (Windows). A byte in 0x80–0x9F proves Windows (Latin-9 puts invisible controls
    there). Otherwise each differing byte is judged in its place: œ or Œ against a letter (« c½ur » is
    « cœur »), € by a number (« 10 ¤ » is « 10 € »: ¤ is not written in French), ½ ¼ ¾ after a digit are
    fractions. A byte that no rule settles, or rules that disagree, leave the body unread: a wrong guess
    would publish wrong characters in every event."""
    if any(0x80 <= byte <= 0x9F for byte in data):
        return "cp1252"
    votes: set[str] = set()
    doubtful: int | None = None
    for index, byte in enumerate(data):
        if byte not in _LATIN9_OR_WINDOWS:
            continue
        before = data[index - 1] if index else None
        after = data[index + 1] if index + 1 < len(data) else None
        if byte in (0xBC, 0xBD, 0xBE) and before in _DIGITS:
            votes.add("cp1252")
        elif byte in (0xBC, 0xBD) and (_is_letter(before) or _is_letter(after)):
            votes.add("iso8859_15")
        elif byte == 0xA4 and (before in _DIGITS or after in _DIGITS or before == 0x20 or after == 0x20):
            votes.add("iso8859_15")
        else:
            doubtful = doubtful or index
        if doubtful is not None or len(votes) > 1:
            at = doubtful if doubtful is not None else index
            latin9, windows = _LATIN9_OR_WINDOWS[data[at]]
            line = data.count(b"\n", 0, at) + 1
            raise SourceError(source.id, f"encodage ambigu : le contenu n'est pas en UTF-8 et se lit en Windows-1252 "
                                         f"comme en ISO-8859-15, qui diffèrent ici (ligne {line} : « {windows} » ou "
                                         f"« {latin9} ») ; rien n'est publié plutôt qu'un texte faux. Enregistrez la "
                                         "source en UTF-8 (ou faites annoncer son encodage par le serveur).")
    return votes.pop() if votes else "cp1252"


def _charset_name(charset: str | None, warnings: list[str]) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip().strip('"')).name
    except LookupError:
        warnings.append(f"encodage « {charset} » annoncé par le serveur inconnu : ignoré")
        return None
    return "cp1252" if name in _WINDOWS_1252_LABELS else name


def _decode_with(data: bytes, encoding: str) -> str:
    if encoding == "cp1252":
        # Five bytes have no character in Windows-1252 (they would be invisible controls): drop them
        # rather than refuse a whole file for one of them.
        return data.decode("cp1252", "ignore")
    return data.decode(encoding)


def _repair_stray_bytes(data: bytes, warnings: list[str]) -> str | None:
    """UTF-8 text with a few bytes from a Windows editor (a pasted 0x92 apostrophe): keep the UTF-8 as is.

    Only when the body holds valid multi-byte UTF-8 sequences (so it is UTF-8 text, not a Windows file
    whose every accent is a single byte) and the stray bytes are few; each is read as Windows-1252.
    """
    pieces, stray_lines, multibyte = [], [], 0
    position, line = 0, 1
    while position < len(data):
        try:
            piece = data[position:].decode("utf-8")
            pieces.append(piece)
            multibyte += len(piece.encode("utf-8")) - len(piece)
            break
        except UnicodeDecodeError as exc:
            good = data[position:position + exc.start].decode("utf-8")
            pieces.append(good)
            multibyte += exc.start - len(good)
            line += good.count("\n")
            bad = data[position + exc.start:position + exc.start + 1]
            pieces.append(_decode_with(bad, "cp1252"))
            stray_lines.append(line)
            position += exc.start + 1
    if not multibyte or len(stray_lines) > max(3, multibyte // 20):
        return None
    lines = ", ".join(str(n) for n in sorted(set(stray_lines))[:10])
    warnings.append(f"{len(stray_lines)} octet(s) hors UTF-8 lu(s) comme des caractères Windows-1252 "
                    f"(ligne(s) {lines}) : vérifiez ces lignes et enregistrez la source en UTF-8")
    return "".join(pieces)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1
