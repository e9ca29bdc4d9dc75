"""The one parse rule for a code typed by a person (the code lists are in :mod:`vetcards.vocab`).

A code is matched whatever its case, its spaces around and between words, and
``_`` or ``-`` for a hyphen: ``Written``, ``IN-PERSON``, ``in_person``,
``Chip-Registration`` and ``e-mail`` all find their code. An empty value is
"is required"; an unknown one names the codes. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Optional

from .errors import InvalidInput
from .validation import RULE_REQUIRED
from .vocab import rule_one_of

__all__ = ["key", "parse"]


def key(value: object) -> str:
    """How a code is compared: case folded, single spaces, ``_`` read as ``-``."""
    return " ".join(str(value).casefold().replace("_", "-").split())


def parse(value: Optional[str], allowed: Iterable[str], field: str, *,
          aliases: Optional[Mapping[str, str]] = None) -> str:
    """The code of ``allowed`` (or of ``aliases``: another word for a code) that ``value`` names.

    ``parse("Written", CONSENT_METHODS, "--consent-method")`` -> ``"written"``.
    """
    codes = tuple(allowed)
    wanted = key(value or "")
    if not wanted:
        raise InvalidInput(field, RULE_REQUIRED)
    for code in codes:
        if key(code) == wanted:
            return code
    for word, code in (aliases or {}).items():
        if key(word) == wanted:
            return code
    raise InvalidInput(field, rule_one_of(codes))
