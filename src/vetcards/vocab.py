"""Every code list of vetcards, with its Dutch and English labels (written once).

A *code* is what is stored and typed (``male neutered``, ``in_collection``,
``chip-registry``); a *label* is what a document for people shows
(``reu, gecastreerd`` / ``male, neutered``). Input aliases (Dutch words a user
may type) sit beside their list. Nothing but the standard library is imported
here, so any module, a rule or the CLI's help, may import it for free.

``label(kind, code, lang)`` gives the label of one code; a code the list does
not know (a species added with ``species add``, a value from an older file)
is returned as it is, so a document never breaks on stored data.
``describe(kind, code, lang)`` gives the longer text of a purpose, right or
data category (privacy notice, access report, register).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable, Mapping

__all__ = [
    "CONSENT_METHODS", "CONSENT_PURPOSES", "COUNTRIES", "DATA_CATEGORIES", "DEFAULT_COUNTRY", "DATA_SOURCES", "DEFAULT_VAT",
    "DISCLOSURE_BASES", "EXPORT_REQUEST_TYPES", "ID_DOCUMENTS", "ID_DOCUMENT_ALIASES", "INVOICE_KINDS",
    "INVOICE_STATES", "KIND_CREDIT_NOTE", "KIND_INVOICE", "KINDS", "LANGS", "OPEN_STATES",
    "PAID_AT_ONCE", "PAYMENT_METHODS", "PAYMENT_TERM_DAYS", "PAY_METHODS", "PROCESSING_PURPOSES",
    "RECIPIENT_KINDS", "REQUEST_STATES", "REQUEST_TYPES", "RIGHTS", "SETTLED_STATES", "SEXES",
    "SEX_ALIASES", "SPECIES", "SPECIES_ALIASES", "VAT_CATEGORIES", "VAT_CATEGORY_WORDS", "VAT_RATES", "ZERO_VAT_CATEGORIES",
    "codes", "describe", "descriptions", "format_kg",
    "label", "labels", "one_of", "rule_one_of",
]

#: Languages of the labels; Dutch is the practice's language and the default.
LANGS: tuple[str, ...] = ("nl", "en")

# --------------------------------------------------------------------------
# Money and invoices
# --------------------------------------------------------------------------

#: How an invoice is paid when it is issued (``invoice create --payment``).
PAYMENT_METHODS: tuple[str, ...] = ("cash", "pin", "account")
#: Payment methods at issue that mean "paid at once" (status ``paid``).
PAID_AT_ONCE: tuple[str, ...] = ("cash", "pin")
#: Methods of a later payment (``invoice pay --method``).
PAY_METHODS: tuple[str, ...] = ("pin", "cash", "transfer")

KIND_INVOICE = "invoice"
KIND_CREDIT_NOTE = "credit_note"
INVOICE_KINDS: tuple[str, ...] = (KIND_INVOICE, KIND_CREDIT_NOTE)

#: Invoice states. ``credited``: corrected by a credit note (a credit note is
#: itself ``credited``: nothing is owed on either).
INVOICE_STATES: tuple[str, ...] = ("open", "paid", "in_collection", "credited")
#: States in which money is still owed (the claim hold; the balance shown).
OPEN_STATES: tuple[str, ...] = ("open", "in_collection")
#: States in which nothing is owed any more.
SETTLED_STATES: tuple[str, ...] = ("paid", "credited")

#: VAT rates in percent (Dutch: standard, reduced, zero), highest first.
VAT_RATES: tuple[int, ...] = (21, 9, 0)
DEFAULT_VAT = 21
#: Why a line carries the VAT it does (SPEC §3, stored per line): ``charged``
#: (21 % or 9 %), ``zero`` (the 0 % rate, ``;0``), ``exempt`` (exempt, art. 11
#: Wet OB, ``;exempt``), ``outside`` (outside the scope of VAT, e.g. the NDG
#: registration fee, ``;outside``). The last three are at 0 %; each prints its
#: statement (the labels of ``vat_category``) on the invoice.
VAT_CATEGORIES: tuple[str, ...] = ("charged", "zero", "exempt", "outside")
#: The 0 % categories and the word typed for each in ``--line``'s last field.
ZERO_VAT_CATEGORIES: tuple[str, ...] = ("zero", "exempt", "outside")
VAT_CATEGORY_WORDS: dict[str, str] = {"0": "zero", "exempt": "exempt", "outside": "outside"}

#: Days until an invoice on account is due, unless the practice sets another term.
PAYMENT_TERM_DAYS = 14

# --------------------------------------------------------------------------
# Animals
# --------------------------------------------------------------------------

SEXES: tuple[str, ...] = ("male", "female", "male neutered", "female spayed", "unknown")

#: The species a new database is seeded with (``species add`` adds more).
SPECIES: tuple[str, ...] = (
    "dog", "cat", "rabbit", "guinea pig", "hamster", "rat", "mouse", "gerbil", "chinchilla",
    "ferret", "bird", "parrot", "chicken", "reptile", "tortoise", "snake", "lizard", "fish",
    "horse", "pony", "donkey", "goat", "sheep", "pig", "cow", "other",
)

# --------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------

#: The country of an address when none is given: the practice's own.
DEFAULT_COUNTRY = "NL"
#: The countries (ISO 3166 alpha-2) whose addresses a client card takes: the practice's own, its
#: neighbours, then the rest of the countries whose postcode rule vetcards knows
#: (:mod:`vetcards.address`), alphabetically.
COUNTRIES: tuple[str, ...] = (
    "NL", "BE", "DE", "LU", "FR", "GB", "AT", "CH", "DK", "ES", "IT", "PL", "SE",
)

# --------------------------------------------------------------------------
# Privacy: consents, sharing, requests
# --------------------------------------------------------------------------

CONSENT_PURPOSES: tuple[str, ...] = ("care", "reminders", "chip-registration", "referral", "lab", "pharmacy")
CONSENT_METHODS: tuple[str, ...] = ("in-person", "written", "e-mail", "phone", "web", "import")
RECIPIENT_KINDS: tuple[str, ...] = ("lab", "pharmacy", "specialist", "printer", "chip-registry", "other")
#: Data categories a recipient may receive and a disclosure names.
DATA_CATEGORIES: tuple[str, ...] = ("naw", "contact", "animal", "chip", "record", "recall", "financial")
#: Legal bases of a disclosure.
DISCLOSURE_BASES: tuple[str, ...] = ("consent", "contract", "legal_obligation")
REQUEST_TYPES: tuple[str, ...] = ("access", "erasure", "rectification", "portability")
#: Request types an export answers.
EXPORT_REQUEST_TYPES: tuple[str, ...] = ("access", "portability")
REQUEST_STATES: tuple[str, ...] = ("open", "overdue", "closed")
#: Document types an identity may be checked with (never a document number).
ID_DOCUMENTS: tuple[str, ...] = ("passport", "id-card", "driving-licence", "residence-permit", "other")
#: Processing purposes told to the data subject (art. 13/15 GDPR).
PROCESSING_PURPOSES: tuple[str, ...] = (
    "care", "administration", "reminders", "chip-registration", "referral", "lab-pharmacy",
    "legal-obligations", "statistics",
)
#: The data subject's rights (art. 15-21, 7(3), 77 GDPR).
RIGHTS: tuple[str, ...] = (
    "access", "rectification", "erasure", "restriction", "portability", "objection",
    "withdraw-consent", "complaint",
)
#: Where the data come from (art. 15(1)(g) GDPR).
DATA_SOURCES: tuple[str, ...] = ("data-subject", "practice", "other-practice")

# --------------------------------------------------------------------------
# Labels: kind -> code -> (Dutch, English)
# --------------------------------------------------------------------------

#: The purposes of processing that are also consent purposes: one label for both lists.
_CONSENTED_PURPOSES: dict[str, tuple[str, str]] = {
    "care": ("zorg", "care"),
    "reminders": ("herinneringskaarten", "reminder cards"),
    "chip-registration": ("chipregistratie", "chip registration"),
    "referral": ("doorverwijzing", "referral"),
}

_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "payment_method": {
        "cash": ("contant", "cash"),
        "pin": ("pin", "debit card"),
        "account": ("op rekening", "on account"),
        "transfer": ("overboeking", "bank transfer"),
    },
    "invoice_kind": {
        "invoice": ("factuur", "invoice"),
        "credit_note": ("creditnota", "credit note"),
    },
    "invoice_state": {
        "open": ("open", "open"),
        "paid": ("betaald", "paid"),
        "in_collection": ("in incasso", "in collection"),
        "credited": ("gecrediteerd", "credited"),
    },
    "vat_rate": {
        "21": ("21% (algemeen tarief)", "21% (standard rate)"),
        "9": ("9% (verlaagd tarief)", "9% (reduced rate)"),
        "0": ("0%", "0%"),
    },
    # The statement an invoice prints for a line of this category.
    "vat_category": {
        "charged": ("btw", "VAT"),
        "zero": ("0% btw (nultarief)", "0% VAT (zero rate)"),
        "exempt": ("Vrijgesteld van btw (art. 11 Wet OB 1968)", "Exempt from VAT (art. 11 Wet OB 1968)"),
        "outside": ("Buiten de reikwijdte van de btw", "Outside the scope of VAT"),
    },
    "sex": {
        "male": ("mannelijk", "male"),
        "female": ("vrouwelijk", "female"),
        "male neutered": ("mannelijk, gecastreerd", "male, neutered"),
        "female spayed": ("vrouwelijk, gesteriliseerd", "female, spayed"),
        "unknown": ("onbekend", "unknown"),
    },
    "species": {
        "dog": ("hond", "dog"), "cat": ("kat", "cat"), "rabbit": ("konijn", "rabbit"),
        "guinea pig": ("cavia", "guinea pig"), "hamster": ("hamster", "hamster"), "rat": ("rat", "rat"),
        "mouse": ("muis", "mouse"), "gerbil": ("gerbil", "gerbil"), "chinchilla": ("chinchilla", "chinchilla"),
        "ferret": ("fret", "ferret"), "bird": ("vogel", "bird"), "parrot": ("papegaai", "parrot"),
        "chicken": ("kip", "chicken"), "reptile": ("reptiel", "reptile"), "tortoise": ("schildpad", "tortoise"),
        "snake": ("slang", "snake"), "lizard": ("hagedis", "lizard"), "fish": ("vis", "fish"),
        "horse": ("paard", "horse"), "pony": ("pony", "pony"), "donkey": ("ezel", "donkey"),
        "goat": ("geit", "goat"), "sheep": ("schaap", "sheep"), "pig": ("varken", "pig"),
        "cow": ("koe", "cow"), "other": ("overig", "other"),
    },
    "country": {
        "NL": ("Nederland", "Netherlands"),
        "BE": ("België", "Belgium"),
        "DE": ("Duitsland", "Germany"),
        "LU": ("Luxemburg", "Luxembourg"),
        "FR": ("Frankrijk", "France"),
        "GB": ("Verenigd Koninkrijk", "United Kingdom"),
        "AT": ("Oostenrijk", "Austria"),
        "CH": ("Zwitserland", "Switzerland"),
        "DK": ("Denemarken", "Denmark"),
        "ES": ("Spanje", "Spain"),
        "IT": ("Italië", "Italy"),
        "PL": ("Polen", "Poland"),
        "SE": ("Zweden", "Sweden"),
    },
    "consent_purpose": {
        **_CONSENTED_PURPOSES,
        "lab": ("laboratorium", "laboratory"),
        "pharmacy": ("apotheek", "pharmacy"),
    },
    "consent_method": {
        "in-person": ("persoonlijk", "in person"),
        "written": ("schriftelijk", "in writing"),
        "e-mail": ("per e-mail", "by e-mail"),
        "phone": ("telefonisch", "by phone"),
        "web": ("via de website", "on the web"),
        "import": ("overgenomen van een andere praktijk", "imported from another practice"),
    },
    "recipient_kind": {
        "lab": ("laboratorium", "laboratory"),
        "pharmacy": ("apotheek", "pharmacy"),
        "specialist": ("specialist", "specialist"),
        "printer": ("drukkerij", "printing firm"),
        "chip-registry": ("chipregister", "chip registry"),
        "other": ("overig", "other"),
    },
    "data_category": {
        "naw": ("naam en adres", "name and address"),
        "contact": ("telefoon en e-mail", "phone and e-mail"),
        "animal": ("gegevens van het dier", "animal details"),
        "chip": ("chipnummer", "chip number"),
        "record": ("medisch dossier", "medical record"),
        "recall": ("vaccinatieherinnering", "vaccination recall"),
        "financial": ("facturen en betalingen", "invoices and payments"),
    },
    "disclosure_basis": {
        "consent": ("toestemming", "consent"),
        "contract": ("overeenkomst", "contract"),
        "legal_obligation": ("wettelijke plicht", "legal obligation"),
    },
    "request_type": {
        "access": ("inzage", "access"),
        "erasure": ("wissen", "erasure"),
        "rectification": ("rectificatie", "rectification"),
        "portability": ("overdraagbaarheid", "portability"),
    },
    "request_state": {
        "open": ("open", "open"),
        "overdue": ("te laat", "overdue"),
        "closed": ("afgehandeld", "closed"),
    },
    "id_document": {
        "passport": ("paspoort", "passport"),
        "id-card": ("identiteitskaart", "identity card"),
        "driving-licence": ("rijbewijs", "driving licence"),
        "residence-permit": ("verblijfsdocument", "residence permit"),
        "other": ("ander document", "other document"),
    },
    "processing_purpose": {
        **_CONSENTED_PURPOSES,
        "administration": ("administratie", "administration"),
        "lab-pharmacy": ("laboratorium en apotheek", "laboratory and pharmacy"),
        "legal-obligations": ("wettelijke plichten", "legal obligations"),
        "statistics": ("statistiek", "statistics"),
    },
    "right": {
        "access": ("inzage", "access"),
        "rectification": ("rectificatie", "rectification"),
        "erasure": ("vergetelheid", "erasure"),
        "restriction": ("beperking", "restriction"),
        "portability": ("overdraagbaarheid", "portability"),
        "objection": ("bezwaar", "objection"),
        "withdraw-consent": ("toestemming intrekken", "withdraw consent"),
        "complaint": ("klacht", "complaint"),
    },
    "data_source": {
        "data-subject": ("uzelf", "yourself"),
        "practice": ("de praktijk", "the practice"),
        "other-practice": ("een andere praktijk", "another practice"),
    },
}

#: Longer texts (privacy notice, access report, register): kind -> code -> (Dutch, English).
_DESCRIPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "consent_purpose": {
        "care": ("zorg en administratie (patiëntenkaart, medisch dossier, facturen)",
                 "care and administration (patient card, medical record, invoices)"),
        "reminders": ("herinneringskaarten voor vaccinaties, gedrukt door een drukkerij",
                      "vaccination reminder cards printed by a mailing firm"),
        "chip-registration": ("chipregistratie bij de Nederlandse Databank Gezelschapsdieren (NDG)",
                              "chip registration at the Dutch pet database (NDG)"),
        "referral": ("doorverwijzing naar een specialist, op verzoek van de klant",
                     "referral to a specialist, at the client's request"),
        "lab": ("delen met een laboratorium", "sharing with a laboratory"),
        "pharmacy": ("delen met een apotheek", "sharing with a pharmacy"),
    },
    "data_category": {
        "naw": ("naam en adres (NAW)", "name and address (NAW)"),
        "contact": ("telefoonnummer en e-mailadres", "phone number and e-mail address"),
        "animal": ("gegevens van het dier (naam, soort, ras, geslacht, geboortedatum, kleur, vacht)",
                   "animal details (name, species, breed, sex, birth date, colour, coat)"),
        "chip": ("chipnummer", "chip number"),
        "record": ("medisch dossier (bezoeken, vaccinaties, medicijnen, gewichten)",
                   "medical record (visits, vaccinations, medicines, weights)"),
        "recall": ("vaccinatieherinnering (vaccin en datum)", "vaccination recall (vaccine and due date)"),
        "financial": ("facturen en betalingen", "invoices and payments"),
    },
    "processing_purpose": {
        "care": ("Diergeneeskundige zorg voor uw dieren; het medisch dossier op de patiëntenkaart.",
                 "Veterinary care of your animals; the medical record on the patient card."),
        "administration": ("Klantadministratie en facturering; bij betaling op rekening ook incasso.",
                           "Client administration and invoicing; for invoices on account, collection."),
        "reminders": ("Herinneringskaarten voor vaccinaties (alleen met uw toestemming), gedrukt door een "
                      "drukkerij die niets bewaart.",
                      "Vaccination reminder cards (only with your consent), printed by a mailing firm that "
                      "keeps nothing."),
        "chip-registration": ("Registratie van het chipnummer van uw dier bij de Nederlandse Databank "
                              "Gezelschapsdieren (NDG), met uw toestemming.",
                              "Registration of your animal's chip number at the Dutch pet database (NDG), "
                              "with your consent."),
        "referral": ("Doorverwijzing naar een specialist, alleen op uw verzoek.",
                     "Referral to a specialist, only at your request."),
        "lab-pharmacy": ("Delen met een laboratorium of apotheek als de zorg dat nodig maakt, met uw "
                         "toestemming.",
                         "Sharing with a laboratory or pharmacy when care needs it, with your consent."),
        "legal-obligations": ("Wettelijke plichten: fiscale bewaarplicht en registratie van "
                              "diergeneesmiddelen (EU-verordening 2019/6).",
                              "Legal duties: fiscal records (Dutch tax law) and veterinary medicine records "
                              "(EU Regulation 2019/6)."),
        "statistics": ("Statistiek, alleen geanonimiseerd (totalen).",
                       "Statistics in anonymised form only (aggregate counts)."),
    },
    "right": {
        "access": ("Recht op inzage (AVG art. 15): een kopie van uw gegevens, zoals dit overzicht.",
                   "Right of access (GDPR art. 15): a copy of your data, as in this export."),
        "rectification": ("Recht op rectificatie (art. 16): onjuiste gegevens laten verbeteren.",
                          "Right to rectification (art. 16): have incorrect data corrected."),
        "erasure": ("Recht op vergetelheid (art. 17): uw gegevens laten wissen, behalve wat wij wettelijk "
                    "moeten bewaren.",
                    "Right to erasure (art. 17): have your data deleted, except what the law obliges us "
                    "to keep."),
        "restriction": ("Recht op beperking van de verwerking (art. 18).",
                        "Right to restriction of processing (art. 18)."),
        "portability": ("Recht op overdraagbaarheid (art. 20): uw gegevens in een bestand, om mee te nemen "
                        "naar een andere praktijk.",
                        "Right to data portability (art. 20): this file, to take to another practice."),
        "objection": ("Recht van bezwaar (art. 21) tegen verwerking op grond van een gerechtvaardigd belang.",
                      "Right to object (art. 21) to processing based on a legitimate interest."),
        "withdraw-consent": ("Een toestemming altijd intrekken (art. 7 lid 3), even gemakkelijk als u haar "
                             "gaf.",
                             "Withdraw a consent at any time (art. 7(3)), as easily as it was given."),
        "complaint": ("Een klacht indienen bij de Autoriteit Persoonsgegevens (art. 77).",
                      "Lodge a complaint with the Dutch supervisory authority, the Autoriteit "
                      "Persoonsgegevens (art. 77)."),
    },
    "data_source": {
        "data-subject": ("Door u (of namens u) gegeven bij inschrijving en bij bezoeken.",
                         "Given by you (or on your behalf) at registration and at visits."),
        "practice": ("Vastgelegd door de medewerkers van de praktijk bij de zorg voor uw dieren "
                     "(medisch dossier, medicijnen, facturen).",
                     "Recorded by the practice's staff while caring for your animals (medical record, "
                     "medicines, invoices)."),
        "other-practice": ("Op uw verzoek ontvangen van een andere dierenartsenpraktijk (dataportabiliteit).",
                           "Received from another veterinary practice at your request (data portability)."),
    },
}

#: Each kind of code and its list, in display order (the lists above).
KINDS: dict[str, tuple[str, ...]] = {
    "payment_method": PAYMENT_METHODS + ("transfer",),
    "invoice_kind": INVOICE_KINDS,
    "invoice_state": INVOICE_STATES,
    "vat_rate": tuple(str(rate) for rate in VAT_RATES),
    "vat_category": VAT_CATEGORIES,
    "sex": SEXES,
    "species": SPECIES,
    "country": COUNTRIES,
    "consent_purpose": CONSENT_PURPOSES,
    "consent_method": CONSENT_METHODS,
    "recipient_kind": RECIPIENT_KINDS,
    "data_category": DATA_CATEGORIES,
    "disclosure_basis": DISCLOSURE_BASES,
    "request_type": REQUEST_TYPES,
    "request_state": REQUEST_STATES,
    "id_document": ID_DOCUMENTS,
    "processing_purpose": PROCESSING_PURPOSES,
    "right": RIGHTS,
    "data_source": DATA_SOURCES,
}

# --------------------------------------------------------------------------
# Input aliases: what a user may type for a code (Dutch words and variants)
# --------------------------------------------------------------------------

#: Dutch and spoken names of the sexes (after lower-casing, '-'/'_' as space).
SEX_ALIASES: dict[str, str] = {
    "reu": "male",
    "teef": "female",
    "reu gecastreerd": "male neutered",
    "teef gesteriliseerd": "female spayed",
    "onbekend": "unknown",
}

#: Dutch species names -> code (the Dutch labels of the seeded species).
SPECIES_ALIASES: dict[str, str] = {nl: code for code, (nl, _en) in _LABELS["species"].items()}

ID_DOCUMENT_ALIASES: dict[str, str] = {
    "paspoort": "passport",
    "id": "id-card",
    "idcard": "id-card",
    "identity-card": "id-card",
    "identiteitskaart": "id-card",
    "id-kaart": "id-card",
    "driving-license": "driving-licence",
    "drivers-licence": "driving-licence",
    "drivers-license": "driving-licence",
    "rijbewijs": "driving-licence",
    "residence-card": "residence-permit",
    "verblijfsdocument": "residence-permit",
    "verblijfsvergunning": "residence-permit",
    "anders": "other",
}

# --------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------


def _lang_index(lang: str) -> int:
    try:
        return LANGS.index(lang)
    except ValueError:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}") from None


def codes(kind: str) -> tuple[str, ...]:
    """The codes of ``kind`` (``"sex"``, ``"invoice_state"``, ...), in display order."""
    return KINDS[kind]


def label(kind: str, code: object, lang: str = "nl") -> str:
    """The label of ``code`` in ``lang``; an unknown code is returned as it is.

    ``label("invoice_state", "in_collection")`` -> ``"in incasso"``;
    ``label("sex", "female spayed", "en")`` -> ``"female, spayed"``.
    """
    i = _lang_index(lang)
    labels = _LABELS[kind]
    got = labels.get(str(code))
    return got[i] if got is not None else str(code)


def labels(kind: str, values: Iterable[object], lang: str = "nl", sep: str = ", ") -> str:
    """The labels of several codes, joined: ``labels("data_category", ["naw", "chip"])``."""
    return sep.join(label(kind, v, lang) for v in values)


def describe(kind: str, code: object, lang: str = "nl") -> str:
    """The longer text of a purpose, right, data category or source; else its label."""
    i = _lang_index(lang)
    got = _DESCRIPTIONS.get(kind, {}).get(str(code))
    return got[i] if got is not None else label(kind, code, lang)


def descriptions(kind: str, lang: str = "nl") -> Mapping[str, str]:
    """``{code: description}`` of every code of ``kind``, in display order."""
    return {code: describe(kind, code, lang) for code in KINDS[kind]}


def one_of(values: Iterable[object]) -> str:
    """``"a, b or c"`` (help texts)."""
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def rule_one_of(values: Iterable[object]) -> str:
    """The rule of an input error: ``"must be one of: a, b, c"``."""
    return "must be one of: " + ", ".join(str(v) for v in values)


def format_kg(grams: int | None, lang: str = "en") -> str | None:
    """Grams as kilograms, no trailing zeros: ``4250`` -> ``"4.25"`` (``"4,25"`` in Dutch).

    ``lang="en"`` is the form of tables, CSV and JSON (a dot, as typed back
    by ``--weight``); ``"nl"`` the form of documents for people.
    """
    if grams is None:
        return None
    sign = "-" if grams < 0 else ""
    whole, rest = divmod(abs(grams), 1000)
    out = f"{whole}.{rest:03d}".rstrip("0").rstrip(".") if rest else str(whole)
    return sign + (out.replace(".", ",") if _lang_index(lang) == 0 else out)
