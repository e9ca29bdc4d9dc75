"""People's names as the front desk uses them: folded for search, keyed for sorting by surname.

Pure functions, no database: a name is typed once as ``--name`` ("Pieter van
't Hek", "A. de Vries", "Jansen-van Dijk, Els") and everything else is derived
from it here. Dutch surname prefixes (tussenvoegsels: van, de, van der, van
't, ter, den, ...) are not part of the sort key's first part, so "Pieter van 't
Hek" sorts under H, as a Dutch phone book does.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["PREFIXES", "fold", "split_name", "surname_key"]

#: Words that start a Dutch (or Belgian, German, French) surname but are not
#: sorted on. A prefix of several words ("van der", "van 't", "in 't") is a
#: run of these.
PREFIXES = frozenset({
    "van", "de", "der", "den", "het", "'t", "t", "te", "ter", "ten", "in", "op", "aan", "bij", "onder",
    "over", "uit", "voor", "'s", "s", "d'", "la", "le", "les", "du", "des", "da", "di", "del", "della",
    "von", "vom", "zu", "zum", "zur", "am", "auf", "el", "al", "lo", "vd", "v/d", "v.d.",
})

#: Letters that have no decomposition but are read as a plain letter.
_PLAIN = {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ı": "i", "æ": "ae",
                        "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "ð": "d",
                        "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"}
_PLAIN_RE = re.compile("[" + re.escape("".join(_PLAIN)) + "]")


#: The combining marks NFKD splits off a letter (accents, cedillas, ...).
_MARKS = re.compile("[" + "".join(chr(c) for c in range(0x300, 0x10000)
                                  if unicodedata.combining(chr(c))) + "]")


def fold(text: str) -> str:
    """``text`` without case and accents, for comparing what people type: ``Ölçer`` -> ``olcer``.

    Fold many texts at once by joining them with a control character
    (``\x1f``): it is kept, and folding one long text is much faster.
    """
    if text.isascii():
        return text.lower().replace("`", "'")
    decomposed = unicodedata.normalize("NFKD", _plain(text))
    return _plain(_MARKS.sub("", decomposed).casefold())


def _plain(text: str) -> str:
    return _PLAIN_RE.sub(lambda m: _PLAIN[m.group()], text)


def _is_prefix(word: str) -> bool:
    return fold(word) in PREFIXES


def split_name(name: str) -> tuple[str, str, str]:
    """``(given names, prefix, surname)`` of a name as typed.

    ``"Pieter van 't Hek"`` -> ``("Pieter", "van 't", "Hek")``;
    ``"Hek, Pieter van 't"`` (surname first) -> the same; ``"Jansen"`` ->
    ``("", "", "Jansen")``; ``"Els Jansen-van Dijk"`` -> ``("Els", "", "Jansen-van Dijk")``.
    """
    if "," in name:
        surname, _, rest = (part.strip() for part in name.partition(","))
        words = rest.split()
        start = len(words)
        while start > 0 and _is_prefix(words[start - 1]):
            start -= 1
        if surname and start < len(words):
            return " ".join(words[:start]), " ".join(words[start:]), surname
        name = f"{rest} {surname}"
    words = name.split()
    if not words:
        return "", "", ""
    last = len(words) - 1
    # A double surname joined by a hyphen ("Jansen-van Dijk", "Jansen- Dijk") is one surname.
    start = last
    while start > 0 and (words[start - 1].endswith("-")
                         or "-" in words[start - 1] and _is_prefix(words[start - 1].rsplit("-", 1)[1])):
        start -= 1
    # The prefix: the run of prefix words just before the surname (never the first word of a longer name
    # unless the name starts with a prefix, as "van Dijk" does).
    prefix_start = start
    while prefix_start > 0 and _is_prefix(words[prefix_start - 1]):
        prefix_start -= 1
    return " ".join(words[:prefix_start]), " ".join(words[prefix_start:start]), " ".join(words[start:])


def surname_key(name: str) -> tuple[str, str, str]:
    """The key to sort people by: surname, then given names, then prefix, all folded.

    ``"Pieter van 't Hek"`` sorts under H, next to ``"Anna Hek"`` (before her
    given name P... comes after A).
    """
    given, prefix, surname = split_name(name)
    return fold(surname), fold(given), fold(prefix)
