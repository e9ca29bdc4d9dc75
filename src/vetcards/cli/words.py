"""Words for people in the CLI's messages: counted nouns.

``count(1, "client")`` -> ``"1 client"``, ``count(3, "client")`` -> ``"3 clients"``.
Amounts for people are :func:`vetcards.money.format_eur`. Machine output
(``--json``, csv) keeps its exact forms; these are only for the lines a person
reads. Imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["changed", "count", "plural"]

#: Nouns whose plural is not the noun + "s".
_IRREGULAR = {"entry": "entries", "category": "categories", "analysis": "analyses", "copy": "copies",
              "delivery": "deliveries", "country": "countries", "person": "people"}


def plural(noun: str, n: int) -> str:
    """``noun`` as it goes with ``n``: ``plural("client", 2)`` -> ``"clients"``; in a phrase the
    last word is the noun (``"expired invoice"`` -> ``"expired invoices"``)."""
    if n == 1 or not noun:
        return noun
    rest, _, last = noun.rpartition(" ")
    many = _IRREGULAR.get(last) or (last + "es" if last.endswith(("s", "x", "ch", "sh")) else last + "s")
    return f"{rest} {many}" if rest else many


def count(n: int, noun: str) -> str:
    """``count(1, "recall")`` -> ``"1 recall"``; ``count(0, "recall")`` -> ``"0 recalls"``."""
    return f"{n} {plural(noun, n)}"



def changed(fields: Sequence[str]) -> str:
    """What an edit changed: ``"phone, email changed"``, or ``"nothing changed"``."""
    return f"{', '.join(fields)} changed" if fields else "nothing changed"
