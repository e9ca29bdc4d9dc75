"""Finding people: the search text rule and the look-alike rule, pure, plus the reads they run on.

``client search TEXT`` (SPEC §9) matches name, street, postcode, city, phone
(the mobile and the landline), e-mail, client number, pet name and chip,
ignoring case and accents (:func:`vetcards.names.fold`), and a phone however it
is typed (``06-1234 5678``, ``+316...``, ``0031...``, ``+32470``, a Belgian
``0470 12 34 56``, a German ``+49 (0)30 ...``): see :class:`Query`. Every
word of the text must match some field. The folding cannot be done by SQLite,
so the candidates (every visible client, one Core read of the client and pet
columns) are matched in Python; on the 20,000-client benchmark practice that
is measured in ``benchmarks/bench_search.py``.

:func:`look_alikes` is the duplicate warning of ``client add``: a client with
the same name and postcode (in the same country), or the same phone (mobile or
landline, either way round), or the same e-mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .names import fold
from .vocab import DEFAULT_COUNTRY

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

__all__ = ["ROW_KEYS", "Query", "find", "look_alikes", "phone_digits"]

#: A phone query needs this many digits to mean something (``+32470`` does).
MIN_PHONE_DIGITS = 5
#: The country code of a number typed with a trunk 0 (``06...``).
HOME_COUNTRY_CODE = "31"
_PHONE_CHARS = frozenset("+0123456789 -()./")
#: The trunk 0 some write after an international prefix: ``+49 (0)30 ...``, ``+32 (0)470 ...``.
_TRUNK_IN_BRACKETS = re.compile(r"\(\s*0\s*\)")


def phone_digits(typed: str) -> tuple[str, ...]:
    """The digit strings a typed phone (part) may be found as in a stored E.164 number.

    ``"06-1234 5678"`` -> ``("31612345678", "612345678")`` (Dutch, or the same
    national number abroad); ``"+32470"`` and ``"0032470"`` -> ``("32470",)``;
    ``"1234 5678"`` -> ``("12345678",)``; ``"+49 (0)30 123"`` -> ``("4930123",)``; not a phone -> ``()``.
    A national number of another country (``0470 12 34 56``) is found by its
    national digits (``470123456``), whatever its country code.
    """
    text = typed.strip()
    if not text or not set(text) <= _PHONE_CHARS:
        return ()
    if text.startswith(("+", "00")):
        text = _TRUNK_IN_BRACKETS.sub("", text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < MIN_PHONE_DIGITS:
        return ()
    if text.startswith("+"):
        return (digits,)
    if digits.startswith("00"):
        return (digits[2:],) if len(digits) - 2 >= MIN_PHONE_DIGITS - 1 else ()
    if digits.startswith("0"):
        return (HOME_COUNTRY_CODE + digits[1:], digits[1:])
    return (digits,)


@dataclass(frozen=True)
class Query:
    """A search text, folded once: its words, its compact form (a postcode typed
    without a space) and the digit forms of a phone."""

    words: tuple[str, ...]
    compact: str
    phones: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Query:
        folded = fold(text)
        return cls(tuple(folded.split()), "".join(folded.split()), phone_digits(text))

    def matches(self, haystack: str, *phones: Optional[str]) -> bool:
        """Whether a client whose folded fields are ``haystack`` (joined by ``\\x1f``,
        postcode also without its space) and whose phones (mobile, landline: E.164) are
        ``phones`` matches."""
        if not self.words:
            return False
        if self.phones:
            for phone in phones:
                if phone and any(p in phone for p in self.phones):
                    return True
        if len(self.words) > 1 and self.compact in haystack:
            return True
        return all(word in haystack for word in self.words)


def _tables() -> tuple[Any, Any]:
    """The client and pet columns read here (light Core tables: no ORM import)."""
    from sqlalchemy import column, table

    client = table("client", *(column(n) for n in ("id", "number", "name", "street", "postcode", "city",
                                                   "country", "phone", "landline", "email", "restricted")))
    pet = table("pet", column("client_id"), column("name"), column("chip"))
    return client.c, pet.c


#: What a search returns per client (the ``client list`` row, with its id).
ROW_KEYS = ("id", "number", "name", "street", "postcode", "city", "country", "phone", "landline", "email", "pets")


def find(uow: UnitOfWork, text: str) -> list[dict[str, Any]]:
    """The visible clients that match a search text, as ``client list`` rows with their id,
    in id order (no audit: the caller's use case logs it).

    Two Core reads (clients; pets' client, name and chip); every client's
    fields are folded in one :func:`~vetcards.names.fold` of one joined text.
    """
    from sqlalchemy import select

    query = Query.of(text)
    if not query.words:
        return []
    c, p = _tables()
    clients = uow.execute(select(c.id, c.number, c.name, c.street, c.postcode, c.city, c.country, c.phone,
                                 c.landline, c.email).where(c.restricted == 0).order_by(c.id)).all()
    pets: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    for client_id, name, chip in uow.execute(select(p.client_id, p.name, p.chip)).all():
        pets.setdefault(client_id, []).extend(v for v in (name, chip) if v)
        counts[client_id] = counts.get(client_id, 0) + 1
    texts = []
    for cid, number, name, street, postcode, city, _country, _phone, _landline, email in clients:
        compact = postcode.replace(" ", "") if postcode else ""
        texts.append("\x1f".join([number, name, street or "", postcode or "", compact, city or "", email or "",
                                   *pets.get(cid, ())]))
    folded = fold("\x1e".join(texts)).split("\x1e")
    found = []
    for row, hay in zip(clients, folded):
        if query.matches(hay, row.phone, row.landline):
            found.append(dict(zip(ROW_KEYS, (*row, counts.get(row[0], 0)))))
    return found


def look_alikes(uow: UnitOfWork, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Clients (restricted ones too: a duplicate card is a duplicate) that look like the
    validated ``fields`` of a new card: same name and postcode (in the same country), or a
    same phone (the new card's mobile or landline as another card's mobile or landline),
    or same e-mail.

    Returns ``number``, ``name``, ``postcode`` and ``why`` (the fields that are the same).
    """
    from sqlalchemy import func, or_, select

    c, _ = _tables()
    name, postcode = fields.get("name"), fields.get("postcode")
    country = fields.get("country") or DEFAULT_COUNTRY
    phones = sorted({p for p in (fields.get("phone"), fields.get("landline")) if p})
    email = fields.get("email")
    conditions = [c.postcode == postcode] if name and postcode else []
    if phones:
        conditions += [c.phone.in_(phones), c.landline.in_(phones)]
    if email:
        conditions.append(func.lower(c.email) == email.lower())
    if not conditions:
        return []
    found = []
    for row in uow.execute(select(c.number, c.name, c.postcode, c.country, c.phone, c.landline, c.email)
                           .where(or_(*conditions)).order_by(c.id)):
        why = []
        if (name and postcode and row.postcode == postcode and (row.country or DEFAULT_COUNTRY) == country
                and fold(" ".join(row.name.split())) == fold(" ".join(name.split()))):
            why.append("name and postcode")
        if phones and {row.phone, row.landline} & set(phones):
            why.append("phone")
        if email and row.email and row.email.lower() == email.lower():
            why.append("e-mail")
        if why:
            found.append({"number": row.number, "name": row.name, "postcode": row.postcode, "why": why})
    return found
