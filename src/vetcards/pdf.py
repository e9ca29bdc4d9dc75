"""Every PDF vetcards makes (invoice, credit note, referral letter): one font, one layout kit,
the formats of a document for people.

**The font.** Noto Sans from the ``fontpkg-noto-sans`` package (OFL 1.1; Latin, Greek, Cyrillic
and Vietnamese; see docs/dependencies.md), embedded as a subset, so every name prints exactly as
stored. The package ships one *variable* font (weight and width axes); fpdf2 could make the
regular and bold instances itself (``add_font(variations=...)``) but instancing all 3,000 glyphs
takes over ten seconds. So the font is first cut down to the characters of the document (a few
dozen glyphs, without the layout tables fpdf2 does not use), then the regular (400) and bold (700)
instances are made from that: about half a second. fpdf2 subsets them once more on output.

Text is normalised to NFC (``e`` + combining accent becomes ``é``). A character the font lacks
(Chinese, Arabic, an emoji) is refused before anything is drawn: one line naming the field
(:class:`vetcards.errors.InvalidInput`), no file, never a ``?`` in its place. No fallback font is
used: no light, maintained package offers one (a CJK font is 15 MB or more).

**The layout kit.** A :class:`Document` is a list of blocks (lines of text, gaps, tables,
amount rows) rendered in one go on A4, so the characters are known before the font is made.

**The formats** (re-exported for the documents): :func:`format_date` (``2 december 2026``, the rule
of :mod:`vetcards.dutch`), :func:`format_eur` (``€ 1.234,56``, of :mod:`vetcards.money`),
:func:`format_kg` (``4,25 kg``), in Dutch or English.
"""

from __future__ import annotations

import io
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Optional

from .dutch import format_date
from .errors import InvalidInput
from .money import format_eur

__all__ = ["FONT_FAMILY", "Document", "format_date", "format_eur", "format_kg", "missing_characters",
           "printable"]

#: The family name inside the PDF (``pdffonts`` shows ``MPDFAA+NotoSans`` and ``MPDFAA+NotoSansBold``).
FONT_FAMILY = "NotoSans"
_FONT_PACKAGE = "fontpkg_noto_sans"
_FONT_FILE = "files/NotoSans[wdth,wght].ttf"
#: The instances made of the variable font: fpdf2 style -> (weight, width).
_STYLES: dict[str, dict[str, float]] = {"": {"wght": 400, "wdth": 100}, "B": {"wght": 700, "wdth": 100}}
#: Characters every document may use in its own labels, always in the subset.
_BASE = "".join(chr(c) for c in range(0x20, 0x7F)) + "€ëéèïöüäÉ–—‘’“”…·×"

# --------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------


def format_kg(grams: Optional[int], lang: str = "nl") -> str:
    """A weight for people: ``4,25 kg``."""
    from .vocab import format_kg as kg

    got = kg(grams, lang)
    return f"{got} kg" if got is not None else ""


# --------------------------------------------------------------------------
# The font
# --------------------------------------------------------------------------


@cache
def _font_path() -> Path:
    from importlib.resources import files

    try:
        path = Path(str(files(_FONT_PACKAGE).joinpath(_FONT_FILE)))
    except ModuleNotFoundError:
        path = Path("/nonexistent")
    if not path.is_file():  # a broken install: the one dependency that is data, not code
        raise InvalidInput("--format pdf", "the PDF font is not installed (package fontpkg-noto-sans); "
                           "reinstall vetcards")
    return path


@cache
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(_font_path()), lazy=True) as font:
        return frozenset(font.getBestCmap())


def printable(value: Any) -> str:
    """Text as the PDF draws it: NFC, None as empty."""
    return "" if value is None else unicodedata.normalize("NFC", str(value))


def missing_characters(text: str) -> list[int]:
    """Positions (1-based) of the characters of ``text`` the font cannot draw (after NFC)."""
    cmap = _cmap()
    return [i for i, ch in enumerate(printable(text), 1)
            if ord(ch) not in cmap and ch not in "\n\r\t"]


def _check(text: str, field_name: Optional[str]) -> None:
    bad = missing_characters(text)
    if bad:
        where = f"character {bad[0]}" + (f" and {len(bad) - 1} more" if len(bad) > 1 else "")
        raise InvalidInput(field_name or "text",
                           f"has a character the PDF font cannot print ({where}: the PDF prints Latin, "
                           "Greek and Cyrillic letters, not Chinese, Arabic or emoji); no PDF was written")


def _make_fonts(chars: Iterable[str], folder: Path) -> dict[str, Path]:
    """The regular and bold instance of the font, cut to ``chars``, as files in ``folder``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    opts = subset.Options()
    opts.layout_features = []
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "STAT"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    cut = io.BytesIO()
    with TTFont(str(_font_path()), lazy=True) as font:
        sub = subset.Subsetter(opts)
        sub.populate(unicodes=sorted({ord(c) for c in chars} & _cmap()))
        sub.subset(font)
        font.save(cut)
    out: dict[str, Path] = {}
    for style, axes in _STYLES.items():  # read again, not deep-copied: five times faster
        with TTFont(io.BytesIO(cut.getvalue())) as font:
            instancer.instantiateVariableFont(font, axes, inplace=True)  # every axis pinned: a static font
            weight = "Bold" if style else "Regular"  # the names the instance is known by (pdffonts)
            for record in font["name"].names:
                record.string = {2: weight, 4: f"Noto Sans {weight}", 6: f"{FONT_FAMILY}-{weight}"}.get(
                    record.nameID, record.string)
            out[style] = folder / f"{FONT_FAMILY}-{style or 'R'}.ttf"
            font.save(str(out[style]))
    return out


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


@dataclass
class _Text:
    text: str
    size: float = 10
    bold: bool = False
    h: float = 5
    align: str = "L"


@dataclass
class _Gap:
    mm: float


@dataclass
class _Table:
    header: Sequence[str]
    rows: list[Sequence[str]]
    widths: Sequence[float]
    align: Sequence[str]
    size: float = 9


@dataclass
class _Amount:
    label: str
    value: str
    bold: bool = False


@dataclass
class Document:
    """An A4 document for people, built as blocks and rendered at once (:meth:`render`).

    Every piece of stored data is added with the ``field`` it comes from, so a character the
    font lacks is refused naming that field.
    """

    title: str
    author: str = ""
    blocks: list[Any] = field(default_factory=list)

    def text(self, value: Any, *, field: Optional[str] = None, label: str = "", size: float = 10,
             bold: bool = False, h: float = 5, align: str = "L") -> None:
        """A paragraph (wraps), after ``label`` (``"Reden: "``); empty text is skipped. A character
        the font lacks is refused, counted within ``value`` (the stored data of ``field``)."""
        value = printable(value)
        if value:
            _check(value, field)
            self.blocks.append(_Text(printable(label) + value, size, bold, h, align))

    def heading(self, value: str, size: float = 12) -> None:
        self.gap(2)
        self.text(value, size=size, bold=True, h=size * 0.55)

    def gap(self, mm: float) -> None:
        self.blocks.append(_Gap(mm))

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[float],
              align: Sequence[str], *, field: Optional[str] = None, size: float = 9) -> None:
        """A table with a bold header row; ``field`` names the data of its cells (row numbers added)."""
        cells: list[Sequence[str]] = []
        for n, row in enumerate(rows, 1):
            texts = [printable(c) for c in row]
            for t in texts:
                _check(t, f"{field} {n}" if field else None)
            cells.append(texts)
        self.blocks.append(_Table(list(header), cells, widths, align, size))

    def amount(self, label: str, value: str, *, bold: bool = False) -> None:
        """A right-aligned label and amount (the totals of an invoice)."""
        self.blocks.append(_Amount(label, value, bold))

    def _characters(self) -> set[str]:
        chars = set(_BASE) | set(printable(self.title)) | set(printable(self.author))
        for b in self.blocks:
            if isinstance(b, _Text):
                chars |= set(b.text)
            elif isinstance(b, _Table):
                chars |= set("".join(b.header)) | {c for row in b.rows for cell in row for c in cell}
            elif isinstance(b, _Amount):
                chars |= set(b.label + b.value)
        return chars

    def render(self) -> bytes:
        """The PDF: A4, 18 mm margins, the font embedded as a subset."""
        from fpdf import FPDF
        from fpdf.enums import XPos, YPos

        with tempfile.TemporaryDirectory(prefix="vetcards-font-") as tmp:
            fonts = _make_fonts(self._characters(), Path(tmp))
            pdf = FPDF(orientation="portrait", unit="mm", format="A4")
            for style, path in fonts.items():
                pdf.add_font(FONT_FAMILY, style, str(path))
            pdf.set_title(printable(self.title))
            if self.author:
                pdf.set_author(printable(self.author))
            pdf.set_creator("vetcards")
            pdf.set_auto_page_break(auto=True, margin=18)
            pdf.set_margins(18, 18, 18)
            pdf.add_page()
            width = pdf.w - pdf.l_margin - pdf.r_margin
            for b in self.blocks:
                if isinstance(b, _Gap):
                    pdf.ln(b.mm)
                elif isinstance(b, _Text):
                    pdf.set_font(FONT_FAMILY, style="B" if b.bold else "", size=b.size)
                    pdf.multi_cell(width, b.h, b.text, align=b.align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                elif isinstance(b, _Amount):
                    pdf.set_font(FONT_FAMILY, style="B" if b.bold else "", size=11 if b.bold else 10)
                    pdf.cell(width - 45, 6, b.label, align="R")
                    pdf.cell(45, 6, b.value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                else:
                    pdf.set_font(FONT_FAMILY, size=b.size)
                    with pdf.table(col_widths=tuple(b.widths), text_align=tuple(b.align),
                                   first_row_as_headings=True, line_height=b.size * 0.6) as table:
                        table.row(list(b.header))
                        for row in b.rows:
                            table.row(list(row))
            return bytes(pdf.output())


def write(doc: Document, out: Path, field: str = "--out") -> Path:
    """Render ``doc`` and write it to ``out`` (mode 0600, via a temporary name and a rename)."""
    from . import files

    out = files.check_target(out, field)  # a regular file only: never a device, FIFO, link or folder
    data = doc.render()
    try:
        files.write_private(out, data, field=field)
    except OSError as exc:
        raise InvalidInput(field, f"cannot write the file ({files.why(exc)})") from None
    return out
