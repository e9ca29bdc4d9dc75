"""Words and dates for people, in the document's language (pure, standard library only).

Dates: one rule for every document (access report, register, PDFs, letters):
the day without a leading zero, the month written out in lower case in Dutch
(capitalised in English), the year in full: ``2 december 2026``.

Words: the labels and fixed sentences of every document that leaves the practice (access
report, invoice, referral letter, register) are data, Dutch beside English, in one file,
``documents.toml``: a translator, a privacy officer or a reviewer reads them all there (texts
built from the settings stay in code: the register's activities, the report's retention periods).
:func:`catalog` reads one section of it as a :data:`Labels` table; its ``[shared]``
section holds the labels more than one document prints (:data:`WORDS`, :func:`shared`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Union

__all__ = ["MONTHS", "Labels", "catalog", "decimal", "format_date", "lang_index", "shared", "translator"]

#: A table of labels: key -> (Dutch, English).
Labels = dict[str, tuple[str, str]]

_CATALOG: dict[str, Labels] = {}


def _sections(table: dict[str, Any], prefix: str = "") -> dict[str, Labels]:
    """Each table of the file by its dotted name (``report.cols``), its entries as (Dutch, English)."""
    out: dict[str, Labels] = {prefix: {}} if prefix else {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_sections(value, f"{prefix}.{key}" if prefix else key))
        elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and v for v in value):
            out[prefix][key] = (value[0], value[1])
        else:
            raise ValueError(f"documents.toml [{prefix}] {key}: must be two non-empty texts, Dutch and English")
    return out


def catalog(section: str) -> Labels:
    """The labels of one section of ``documents.toml`` (``"report"``, ``"report.cols"``, ``"shared"``):
    the file is read once, on first use. An unknown section is a KeyError that names it."""
    if not _CATALOG:
        import tomllib
        from pathlib import Path

        _CATALOG.update(_sections(tomllib.loads(Path(__file__).with_name("documents.toml").read_text("utf-8"))))
    try:
        return _CATALOG[section]
    except KeyError:
        raise KeyError(f"documents.toml has no [{section}]") from None


def __getattr__(name: str) -> Labels:
    """:data:`WORDS`, the ``[shared]`` labels, read on first use (PEP 562)."""
    if name == "WORDS":
        return catalog("shared")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def decimal(value: object, lang: str = "nl") -> str:
    """A decimal as typed (``2.5``, a quantity) in the document's language: ``2,5`` in Dutch; None is ""."""
    text = "" if value is None else str(value)
    return text.replace(".", ",") if lang == "nl" else text


def shared(*keys: str, **renamed: str) -> Labels:
    """The ``[shared]`` labels ``keys`` (and ``as_key="shared_key"``, a shared label under a document's
    own key): a document's table starts with them (``{**shared("phone"), **catalog("letter")}``)."""
    words = catalog("shared")
    missing = [k for k in (*keys, *renamed.values()) if k not in words]
    if missing:
        raise KeyError(f"documents.toml [shared] has no {', '.join(missing)}")
    return {**{key: words[key] for key in keys}, **{key: words[name] for key, name in renamed.items()}}


def lang_index(lang: str) -> int:
    """Which side of a label a document in ``lang`` prints: Dutch for ``nl``, else English."""
    return 0 if lang == "nl" else 1


def translator(labels: Labels, lang: str) -> Callable[..., str]:
    """``t(key, **fields)``: the ``lang`` side of ``labels[key]``, its ``{fields}`` filled in."""
    i = lang_index(lang)

    def t(key: str, **fields: Any) -> str:
        return labels[key][i].format(**fields)

    return t


MONTHS: dict[str, tuple[str, ...]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def format_date(value: Union[date, str, None], lang: str = "nl") -> str:
    """``2 december 2026`` (``2 December 2026`` in English). An ISO string (a date, or a moment such
    as ``2026-12-02T10:00:00Z``) is read first; None prints as ""; a value that is no date prints as
    it is (a document never breaks on stored data)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        day = value
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"
