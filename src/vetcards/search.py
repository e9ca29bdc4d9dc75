"""Finding people: the search text rule and the look-alike rule, pure, plus the reads they run on.

``client search TEXT`` (SPEC §9) matches name, street, postcode, city, phone
(the mobile and the landline), e-mail, client number, pet name and chip,
ignoring case and accents (:func:`vetcards.names.fold`), and a phone however it
is typed (``06-1234 5678``, ``+316...``, ``0031...``, ``+32470``, a Belgian
``0470 12 34 56``, a German ``+49 (0)30 ...``): see :class:`Query`. Every
word of the text must match some field. The folding cannot be done by SQLite:
SQLite keeps the candidates (``LIKE`` where folding changes nothing but ASCII
case, every client whose text it could change), Python folds and matches them;
on the 20,000-client benchmark practice that is measured in
``benchmarks/bench_search.py``.

:func:`look_alikes` is the duplicate warning of ``client add``: a client with
the same name and postcode (in the same country), or the same phone (mobile or
landline, either way round), or the same e-mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .address import postcode_display
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
    from sqlalchemy import Integer, String, column, table

    client = table("client", column("id", Integer), *(column(n, String) for n in (
        "number", "name", "street", "postcode", "city", "country", "phone", "landline", "email")),
        column("restricted", Integer))
    pet = table("pet", column("client_id", Integer), column("name", String), column("chip", String))
    return client.c, pet.c


#: What a search returns per client (the ``client list`` row, with its id).
ROW_KEYS = ("id", "number", "name", "street", "postcode", "city", "country", "phone", "landline", "email", "pets")
#: Between the fields of a client's searched text (never in a query word: ``str.split`` splits on it).
_SEP = "\x1f"


def find(uow: UnitOfWork, text: str) -> list[dict[str, Any]]:
    """The visible clients that match a search text, as ``client list`` rows with their id,
    in id order (no audit: the caller's use case logs it).

    One Core read: SQLite keeps the candidates (:func:`_candidates`: a superset of
    the matches) and gives each with its searched text (number, name, street,
    postcode also without its space, city, e-mail, then its pets' names and chips,
    joined by ``\\x1f``) and pet count; the texts are folded
    (:func:`~vetcards.names.fold`, all in one call) and :meth:`Query.matches` decides.
    """
    from sqlalchemy import func, select

    query = Query.of(text)
    if not query.words:
        return []
    c, p = _tables()
    own = c.number
    for part in (c.name, c.street, c.postcode, func.replace(c.postcode, " ", ""), c.city, c.email):
        own = own + _SEP + func.coalesce(part, "")
    of_client = p.client_id == c.id
    pets_text = (select(func.aggregate_strings(func.coalesce(p.name, "") + _SEP + func.coalesce(p.chip, ""), _SEP))
                 .where(of_client).scalar_subquery())
    pet_count = select(func.count()).where(of_client).scalar_subquery()
    stmt = (select(c.id, c.number, c.name, c.street, c.postcode, c.city, c.country, c.phone, c.landline,
                   c.email, pet_count, own + _SEP + func.coalesce(pets_text, ""))
            .where(c.restricted == 0, *_candidates(query, own, c, p)).order_by(c.id))
    rows = uow.execute(stmt).all()
    folded = fold("\x1e".join(row[-1] for row in rows)).split("\x1e") if rows else []
    return [dict(zip(ROW_KEYS, row[:-1])) for row, text in zip(rows, folded)
            if query.matches(text, row.phone, row.landline)]


def _candidates(query: Query, own: Any, c: Any, p: Any) -> list[Any]:
    """The SQL condition that keeps every client :meth:`Query.matches` may accept (and few others).

    For a text of printable ASCII without a backtick, :func:`~vetcards.names.fold`
    is ``lower()``, and SQLite's ``LIKE`` ignores ASCII case: there ``LIKE`` gives
    the same answer as the match. So a word must be ``LIKE`` the client's own text
    (``own``) or one of its pets' names or chips (one ``IN`` set per word), unless
    the client's text or a pet's name holds a character folding may change
    (``Ölçer``, ``van `t Hek``: about 3 % on the benchmark practice; :data:`_FOLDED`):
    such a client is always a candidate. So is one whose phone or landline holds a
    digit form of the query. A query word that is not ASCII after folding (``Σ``)
    reads every client."""
    from sqlalchemy import and_, or_, select

    if not all(w.isascii() for w in query.words):
        return []

    def like(expr: Any, part: str) -> Any:
        escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return expr.like(f"%{escaped}%", escape="\\")

    def found(part: str) -> Any:
        return or_(like(own, part), c.id.in_(select(p.client_id).where(or_(like(p.name, part), like(p.chip, part)))))

    either = [and_(*(found(w) for w in query.words)), own.op("GLOB")(_FOLDED),
              c.id.in_(select(p.client_id).where(p.name.op("GLOB")(_FOLDED)))]
    # (No clause for the compact form: every word is a part of it, so the words' clause holds whenever it does.)
    for digits in query.phones:
        either += [like(c.phone, digits), like(c.landline, digits)]
    return [or_(*either)]


#: A ``GLOB`` that holds for a text :func:`~vetcards.names.fold` may change other than by ASCII case:
#: one character that is not the separator, not printable ASCII, or is the backtick (0x60).
_FOLDED = "*[^" + _SEP + " -_a-~]*"


def look_alikes(uow: UnitOfWork, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Clients (restricted ones too: a duplicate card is a duplicate) that look like the
    validated ``fields`` of a new card: same name and postcode (in the same country), or a
    same phone (the new card's mobile or landline as another card's mobile or landline),
    or same e-mail.

    Returns ``number``, ``name``, ``postcode`` (as printed) and ``why`` (the fields that are the same).
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
            found.append({"number": row.number, "name": row.name,
                          "postcode": postcode_display(row.postcode, row.country), "why": why})
    return found
