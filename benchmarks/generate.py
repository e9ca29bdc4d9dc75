#!/usr/bin/env python3
"""Generate a synthetic veterinary practice for the benchmarks.

Default size (issue 2): 20,000 clients, 30,000 pets, 150,000 visits, 100,000
invoices with 300,000 lines, plus payments for the paid invoices, weighings,
vaccinations, medicine records, consents and a few disclosures, spread over
the 12 years before ``--as-of``.

About 40 % of the clients are past the 7-year inactivity cut-off: every
activity date of theirs (card created/edited, pets added/edited, visits,
weighings, vaccinations, medicine records, invoices, payments, disclosures) is
at least two weeks before ``as_of - 7 years``. About 8 % of those with an
invoice hold an open or in-collection one (claim hold) and 0.5 % carry a
manual legal hold.

The database is made with :func:`vetcards.db.create_database` (so the schema
comes from the Alembic migrations) and filled with DB-API ``executemany``
inside one write transaction, never with ORM ``add_all`` (SPEC §6: ~29x
slower). Rows are streamed in chunks, so memory stays small.

Deterministic: the same ``--seed``, ``--clients``, ``--scale`` and
``--as-of`` give the same rows (the key, the audit timestamp and the database
bytes differ). Client numbers ``K000001...`` and pet numbers match the
``counter`` table afterwards, so ``vetcards client add`` keeps working.
Invoice numbers ``YYYY-NNNNN`` are consecutive per year, in date order.

Usage::

    python benchmarks/generate.py OUT.db --key-file OUT.key [--clients 20000]
        [--scale 1.0] [--as-of 2026-11-27] [--seed 2026] [--force]

``--scale`` multiplies the history per client (visits, invoices and their
lines/payments, weighings, vaccinations, medicine records); pets stay at 1.5
per client. A key file is created (mode 0600) when it does not exist.
Next to the database, ``OUT.meta.json`` records the parameters and counts
(``benchmarks/run.py`` reads it to purge with the same ``--as-of``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Optional

from dateutil.relativedelta import relativedelta

# Per-client and per-visit ratios of the practice (scale 1.0).
PETS_PER_CLIENT = 1.5
VISITS_PER_CLIENT = 7.5
INVOICES_PER_CLIENT = 5.0
LINES_PER_INVOICE = 3
WEIGHTS_PER_VISIT = 0.3
VACCINATIONS_PER_VISIT = 0.25
MEDICINES_PER_VISIT = 0.1
INACTIVE_SHARE = 0.40
CLAIM_SHARE_OF_INACTIVE = 0.08
LEGAL_HOLD_SHARE_OF_INACTIVE = 0.005
DISCLOSURE_SHARE = 0.02
YEARS = 12
#: Inactive clients' activity ends at least this many days before the cut-off,
#: active clients' last activity is at least this many days after it.
MARGIN_DAYS = 14
CHUNK = 5000

FIRST = ("Anna", "Bram", "Carla", "Daan", "Eva", "Femke", "Gerrit", "Hanna", "Iris", "Jan",
         "Kees", "Lotte", "Maarten", "Noor", "Olaf", "Petra", "Ruben", "Sanne", "Thijs", "Ursula",
         "Vera", "Willem", "Yara", "Zoë", "Bas", "Lieke", "Mohamed", "Fatima", "Sem", "Julia")
LAST = ("de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
        "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
        "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs",
        "El Amrani", "Yilmaz", "van Dijk", "Koster", "Prins", "Huisman")
STREETS = ("Dorpsstraat", "Kerkstraat", "Schoolstraat", "Molenweg", "Stationsweg", "Lindelaan",
           "Beukenlaan", "Julianastraat", "Wilhelminastraat", "Nieuwstraat", "Markt", "Hoofdweg")
CITIES = ("Utrecht", "Amersfoort", "Zeist", "Nieuwegein", "Houten", "De Bilt", "Bunnik",
          "Maarssen", "IJsselstein", "Vianen")
PC_LETTERS = "ABCEGHJKLMNPRTVWXZ"  # no S: never SA, SD or SS
PET_NAMES = ("Bello", "Max", "Luna", "Minoes", "Tommie", "Bobby", "Nala", "Simba", "Pluis",
             "Snuf", "Kiki", "Rocky", "Daisy", "Guus", "Saar", "Dribbel", "Flappie", "Noortje")
SPECIES = (("dog", 45), ("cat", 40), ("rabbit", 6), ("guinea pig", 3), ("bird", 2),
           ("ferret", 1), ("horse", 1), ("tortoise", 1), ("hamster", 1))
BREEDS = {"dog": ("Labrador", "Golden retriever", "Kooiker", "Stabyhoun", "Teckel", "kruising"),
          "cat": ("Europese korthaar", "Maine Coon", "Brits korthaar", "Pers"),
          "rabbit": ("Hollander", "Vlaamse reus", "Dwergkonijn")}
SEXES = ("male", "female", "male neutered", "female spayed", "unknown")
COLOURS = ("zwart", "wit", "bruin", "cyperse", "rood", "grijs", "lapjes", "blond")
COATS = ("kort", "lang", "ruw", "krul")
VETS = ("dr. A. Kuiper", "dr. B. Hoekstra", "dr. C. van Wijk", "dr. D. Schouten", "dr. E. Vermeulen")
REASONS = ("jaarlijkse controle", "vaccinatie", "kreupel", "braken", "diarree", "jeuk",
           "oorontsteking", "gebitscontrole", "castratie", "wondje", "hoest", "gewichtsverlies")
DIAGNOSES = (None, "otitis externa", "gastro-enteritis", "dermatitis", "tandsteen", "artrose",
             "gezond", "kennelhoest")
TREATMENTS = (None, "oordruppels", "dieet 3 dagen", "antibiotica 7 dagen", "gebitsreiniging",
              "pijnstilling", "geen")
FINDINGS = (None, "temp 38,6", "licht verhoogde temp", "matige conditie", "goede conditie",
            "pijn bij palpatie")
VACCINES = (("Nobivac DHP", "dog"), ("Nobivac L4", "dog"), ("Nobivac KC", "dog"),
            ("Purevax RCP", "cat"), ("Nobivac Rabies", "any"), ("Nobivac Myxo-RHD", "rabbit"))
MEDICINES = ("Metacam 1,5 mg/ml", "Synulox 250 mg", "Milbemax", "Frontline Combo", "Rimadyl 50 mg",
             "Cerenia 16 mg", "Surolan oordruppels")
#: (description, unit price in cents, VAT %)
ITEMS = (("Consult", 4250, 21), ("Herhaalconsult", 2900, 21), ("Vaccinatie", 3950, 21),
         ("Rabiësvaccinatie", 4400, 21), ("Ontworming", 1450, 21), ("Vlooienbehandeling", 2350, 21),
         ("Gebitsreiniging", 18500, 21), ("Castratie kater", 9800, 21), ("Bloedonderzoek", 7650, 21),
         ("Röntgenfoto", 8900, 21), ("Dieetvoer 2 kg", 2795, 9), ("Snoepjes gebit", 695, 9),
         ("Chippen", 3500, 21), ("Entingsboekje", 500, 21), ("Nagels knippen", 950, 21),
         ("Antibiotica", 1875, 21), ("Pijnstilling", 1420, 21), ("Voorrijkosten", 0, 0))
QUANTITIES = ("1", "1", "1", "1", "1", "2", "3", "0.5")
#: Added to the recipients the migrations seed: (name, kind, categories, consent purpose)
RECIPIENTS = (("Specialistische Dierenkliniek (benchmark)", "specialist", "naw,animal,record", "referral"),)
PRACTICE = {"name": "Dierenkliniek De Linde", "street": "Lindelaan 3", "postcode": "3511 AB",
            "city": "Utrecht", "vat_number": "NL000099998B57", "kvk": "12345678",
            "iban": "NL91ABNA0417164300", "privacy_statement_version": "1"}


@cache
def iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


@dataclass
class ClientPlan:
    first: int  # ordinal of the first activity (card created)
    last: int  # ordinal of the last activity (card last edited)
    inactive: bool
    birth: bool
    claim: bool = False
    legal_hold: bool = False


@dataclass
class Sizes:
    clients: int
    pets: int
    visits: int
    invoices: int
    lines: int
    weights: int
    vaccinations: int
    medicines: int

    @classmethod
    def for_clients(cls, clients: int, scale: float) -> Sizes:
        visits = round(clients * VISITS_PER_CLIENT * scale)
        invoices = round(clients * INVOICES_PER_CLIENT * scale)
        return cls(
            clients=clients,
            pets=max(clients, round(clients * PETS_PER_CLIENT)),
            visits=visits,
            invoices=invoices,
            lines=invoices * LINES_PER_INVOICE,
            weights=round(visits * WEIGHTS_PER_VISIT),
            vaccinations=round(visits * VACCINATIONS_PER_VISIT),
            medicines=round(visits * MEDICINES_PER_VISIT),
        )


class Generator:
    def __init__(self, sizes: Sizes, as_of: date, seed: int) -> None:
        self.n = sizes
        self.as_of = as_of
        self.rng = random.Random(seed)
        self.start = (as_of - relativedelta(years=YEARS)).toordinal()
        self.cutoff = (as_of - relativedelta(years=7)).toordinal()  # last < cutoff: inactive
        self.end = as_of.toordinal()
        self.clients: list[ClientPlan] = []
        self.pet_client: list[int] = []  # pet index -> client index
        self.pet_created: list[int] = []
        self.client_pets: list[list[int]] = []
        self.visit_plan: list[tuple[int, int]] = []  # (pet index, date ordinal), sorted
        self.invoice_plan: list[tuple[int, int, int]] = []  # (date, client, tiebreak), sorted
        self.counts: dict[str, int] = {}
        self.pet_species: list[str] = []
        #: (name, street, postcode, city, birth date) per client, for invoice snapshots
        self._snapshots: list[tuple] = []
        #: (id, categories) of the recipients in the register
        self.recipients: list[tuple[int, str]] = []

    # -- helpers ---------------------------------------------------------
    def ts(self, ordinal: int) -> str:
        r = self.rng
        return f"{iso(ordinal)} {r.randint(8, 18):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999999):06d}"

    def between(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi) if hi > lo else lo

    # -- plan ------------------------------------------------------------
    def plan(self) -> None:
        r = self.rng
        inactive_hi = self.cutoff - MARGIN_DAYS
        active_lo = self.cutoff + MARGIN_DAYS
        for _ in range(self.n.clients):
            inactive = r.random() < INACTIVE_SHARE
            # Some clients were already on the books when the 12 years start.
            if r.random() < (0.35 if inactive else 0.2):
                first = self.start + int(r.expovariate(1 / 200))
            else:
                first = r.randint(self.start, (inactive_hi if inactive else self.end) - 1)
            if inactive:
                first = min(first, inactive_hi - 1)
                last = first + int(r.expovariate(1 / 1000))
                if last > inactive_hi:
                    last = r.randint(first, inactive_hi)
            else:
                # Recent activity is likelier for an active client.
                last = max(first, active_lo, self.end - int(r.expovariate(1 / 400)))
            self.clients.append(ClientPlan(first, last, inactive, birth=r.random() < 0.3))
        inactive_ids = [i for i, c in enumerate(self.clients) if c.inactive]

        # Pets: one each, the rest to random clients.
        owners = list(range(self.n.clients)) + r.choices(range(self.n.clients), k=self.n.pets - self.n.clients)
        owners.sort()
        self.client_pets = [[] for _ in range(self.n.clients)]
        for p, ci in enumerate(owners):
            c = self.clients[ci]
            self.pet_client.append(ci)
            self.pet_created.append(self.between(c.first, (c.first + c.last) // 2))
            self.client_pets[ci].append(p)

        # Visits: random pets (a longer history, more visits: weight sqrt(days),
        # so clients who left long ago still had a few years of history), dated
        # between the pet's arrival and the owner's last activity.
        visits = []
        span = [math.sqrt(self.clients[ci].last - self.pet_created[p] + 60)
                for p, ci in enumerate(self.pet_client)]
        for p in r.choices(range(self.n.pets), weights=span, k=self.n.visits):
            visits.append((self.between(self.pet_created[p], self.clients[self.pet_client[p]].last), p))
        visits.sort()
        self.visit_plan = [(p, d) for d, p in visits]

        # Invoices: random clients, dated in their active span; numbered in date order.
        inv = []
        span = [math.sqrt(c.last - c.first + 60) for c in self.clients]
        for k, ci in enumerate(r.choices(range(self.n.clients), weights=span, k=self.n.invoices)):
            c = self.clients[ci]
            inv.append((self.between(c.first, c.last), ci, k))
        inv.sort()
        self.invoice_plan = inv

        # Holds among the inactive: an unpaid invoice (claim) or a manual legal hold.
        has_invoice = {ci for _, ci, _ in inv}
        for ci in inactive_ids:
            c = self.clients[ci]
            if ci in has_invoice and r.random() < CLAIM_SHARE_OF_INACTIVE:
                c.claim = True
                c.birth = True  # an account invoice needs the birth date
            elif r.random() < LEGAL_HOLD_SHARE_OF_INACTIVE:
                c.legal_hold = True

    # -- rows ------------------------------------------------------------
    def client_rows(self) -> Iterator[tuple]:
        r = self.rng
        for i, c in enumerate(self.clients):
            first, last = r.choice(FIRST), r.choice(LAST)
            name = f"{first} {last}"
            street = f"{r.choice(STREETS)} {r.randint(1, 250)}"
            postcode = f"{r.randint(1000, 9999)} {r.choice(PC_LETTERS)}{r.choice(PC_LETTERS)}"
            phone = f"+316{r.randint(10000000, 99999999)}" if r.random() < 0.8 else None
            email = (f"{first}.{last.replace(' ', '')}{i + 1}@example.nl".lower()
                     if r.random() < 0.6 else None)
            birth = iso(self.between(c.first - 80 * 365, c.first - 18 * 365)) if c.birth else None
            hold = "lopende procedure (benchmark)" if c.legal_hold else None
            yield (i + 1, f"K{i + 1:06d}", name, street, postcode, r.choice(CITIES), phone, email,
                   birth, self.ts(c.first), self.ts(c.last), hold, 0)

    def consent_rows(self) -> Iterator[tuple]:
        r = self.rng
        cid = 0
        for i, c in enumerate(self.clients):
            cid += 1
            yield (cid, i + 1, "care", iso(c.first), "1", "in-person", None, self.ts(c.first))
            if r.random() < 0.45:
                cid += 1
                withdrawn = iso(self.between(c.first, c.last)) if r.random() < 0.1 else None
                yield (cid, i + 1, "reminders", iso(c.first), "1", "in-person", withdrawn, self.ts(c.first))
        self.counts["consent"] = cid

    def pet_rows(self) -> Iterator[tuple]:
        r = self.rng
        names = [s for s, _ in SPECIES]
        weights = [w for _, w in SPECIES]
        for p, ci in enumerate(self.pet_client):
            c = self.clients[ci]
            species = r.choices(names, weights)[0]
            self.pet_species.append(species)
            created = self.pet_created[p]
            updated = created if r.random() < 0.7 else self.between(created, c.last)
            chip = (f"528{140000000000 + p + 1:012d}"
                    if species in ("dog", "cat") and r.random() < 0.7 else None)
            breeds = BREEDS.get(species)
            deceased = iso(c.last) if r.random() < 0.04 else None
            yield (p + 1, f"P{p + 1:06d}", ci + 1, r.choice(PET_NAMES), species,
                   r.choice(breeds) if breeds else None, r.choice(SEXES),
                   iso(created - r.randint(0, 8 * 365)), chip, r.choice(COLOURS), r.choice(COATS),
                   r.choice((None, 0, 1)), deceased, self.ts(created), self.ts(updated))

    def visit_rows(self) -> Iterator[tuple]:
        r = self.rng
        for v, (p, d) in enumerate(self.visit_plan):
            yield (v + 1, p + 1, iso(d), r.choice(REASONS), r.choice(FINDINGS), r.choice(DIAGNOSES),
                   r.choice(TREATMENTS), r.choice(VETS), self.ts(d))

    def _visits_sample(self, k: int) -> list[tuple[int, int]]:
        picks = self.rng.sample(range(len(self.visit_plan)), k) if k <= len(self.visit_plan) else []
        picks.sort()
        return [self.visit_plan[i] for i in picks]

    def weight_rows(self) -> Iterator[tuple]:
        r = self.rng
        base = {"dog": 25000, "cat": 4500, "rabbit": 2200, "horse": 500000}
        for w, (p, d) in enumerate(self._visits_sample(self.n.weights)):
            grams = max(30, int(base.get(self.pet_species[p], 900) * r.uniform(0.6, 1.4)))
            yield (w + 1, p + 1, iso(d), grams, self.ts(d))

    def vaccination_rows(self) -> Iterator[tuple]:
        r = self.rng
        for x, (p, d) in enumerate(self._visits_sample(self.n.vaccinations)):
            species = self.pet_species[p]
            choices = [v for v, s in VACCINES if s in (species, "any")]
            nxt = date.fromordinal(d) + relativedelta(years=1)
            yield (x + 1, p + 1, iso(d), r.choice(choices), f"B{r.randint(100000, 999999)}",
                   nxt.isoformat(), self.ts(d))

    def medicine_rows(self) -> Iterator[tuple]:
        r = self.rng
        for m, (p, d) in enumerate(self._visits_sample(self.n.medicines)):
            expiry = iso(d + r.randint(180, 900))
            yield (m + 1, p + 1, self.pet_client[p] + 1, iso(d), r.choice(MEDICINES),
                   f"L{r.randint(10000, 99999)}", r.choice(("1", "2", "10 ml", "0.5")), expiry,
                   r.choice(VETS), r.random() < 0.5, None, None, 0, self.ts(d))

    def disclosure_rows(self) -> Iterator[tuple]:
        r = self.rng
        n = 0
        for i, c in enumerate(self.clients):
            if r.random() < DISCLOSURE_SHARE:
                n += 1
                rid, categories = r.choice(self.recipients)
                pets = self.client_pets[i]
                yield (n, i + 1, rid, pets[0] + 1 if pets else None, iso(self.between(c.first, c.last)),
                       categories, "consent", None, r.random() < 0.5, self.ts(c.last))
        self.counts["disclosure"] = n

    def invoice_chunks(self) -> Iterator[tuple[list[tuple], list[tuple], list[tuple]]]:
        """Invoices in number order with their lines and payments, in chunks."""
        r = self.rng
        supplier_address = f"{PRACTICE['street']}, {PRACTICE['postcode']} {PRACTICE['city']}"
        # Claim-hold clients: their latest invoice stays unpaid.
        latest: dict[int, int] = {}
        for k, (_, ci, _) in enumerate(self.invoice_plan):
            if self.clients[ci].claim:
                latest[ci] = k
        unpaid = {k: ci for ci, k in latest.items()}
        # Line counts: 3 each, then moved around (1..5 a invoice), same total.
        n_inv = len(self.invoice_plan)
        counts = [LINES_PER_INVOICE] * n_inv
        for _ in range(n_inv):
            a, b = r.randrange(n_inv), r.randrange(n_inv)
            if counts[a] > 1 and counts[b] < 5:
                counts[a] -= 1
                counts[b] += 1
        seq_by_year: dict[int, int] = {}
        line_id = pay_id = 0
        inv_rows: list[tuple] = []
        line_rows: list[tuple] = []
        pay_rows: list[tuple] = []
        self.counts.update(open=0, in_collection=0, paid=0)
        # Name/address snapshot per client (as it was on the card).
        snap = self._snapshots
        for k, (d, ci, _) in enumerate(self.invoice_plan):
            c = self.clients[ci]
            year = date.fromordinal(d).year
            seq = seq_by_year.get(year, 0) + 1
            seq_by_year[year] = seq
            inv_id = k + 1
            pets = self.client_pets[ci]
            pet = r.choice(pets) + 1 if pets and r.random() < 0.85 else None
            net_by_rate: dict[int, int] = {}
            for pos in range(1, counts[k] + 1):
                desc, price, vat = r.choice(ITEMS)
                qty = r.choice(QUANTITIES)
                net = (price + 1) // 2 if qty == "0.5" else price * int(qty)  # half-up
                net_by_rate[vat] = net_by_rate.get(vat, 0) + net
                line_id += 1
                line_rows.append((line_id, inv_id, pos, desc, qty, price, vat, net))
            net_total = sum(net_by_rate.values())
            vat_total = sum((n * rate + 50) // 100 for rate, n in net_by_rate.items())
            gross = net_total + vat_total
            # Payment method and state.
            if k in unpaid:
                method, status = "account", r.choice(("open", "open", "in_collection"))
            elif c.birth and r.random() < 0.5:
                method = "account"
                age = self.end - d
                if age < 45 and r.random() < 0.7:
                    status = "open"
                elif age > 90 and not c.inactive and r.random() < 0.01:
                    status = "in_collection"
                else:
                    status = "paid"
            else:
                method, status = ("pin" if r.random() < 0.65 else "cash"), "paid"
            self.counts[status] += 1
            if status == "paid":
                paid_on = d if method != "account" else min(d + r.randint(3, 40), c.last, self.end)
                pay_id += 1
                pay_rows.append((pay_id, inv_id, iso(paid_on), gross, method, self.ts(paid_on)))
            elif status == "open" and method == "account" and gross > 100 and r.random() < 0.3:
                paid_on = min(d + r.randint(1, 20), c.last, self.end)
                pay_id += 1
                pay_rows.append((pay_id, inv_id, iso(paid_on), gross // 2, "pin", self.ts(paid_on)))
            name, street, postcode, city, birth = snap[ci]
            inv_rows.append((
                inv_id, f"{year}-{seq:05d}", year, seq, "invoice", None, ci + 1, pet, iso(d), method,
                status, name, street, postcode, city, birth if method == "account" else None,
                PRACTICE["name"], supplier_address, PRACTICE["vat_number"], PRACTICE["kvk"],
                PRACTICE["iban"], net_total, vat_total, gross, None, 0, self.ts(d),
            ))
            if len(inv_rows) >= CHUNK:
                yield inv_rows, line_rows, pay_rows
                inv_rows, line_rows, pay_rows = [], [], []
        if inv_rows:
            yield inv_rows, line_rows, pay_rows
        self.counts["invoice_line"] = line_id
        self.counts["payment"] = pay_id


INSERTS = {
    "client": "INSERT INTO client (id, number, name, street, postcode, city, phone, email, birth_date, "
              "created_at, updated_at, legal_hold_reason, restricted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "consent": "INSERT INTO consent (id, client_id, purpose, given_on, statement_version, method, "
               "withdrawn_on, created_at) VALUES (?,?,?,?,?,?,?,?)",
    "pet": "INSERT INTO pet (id, number, client_id, name, species, breed, sex, birth_date, chip, colour, "
           "coat, insured, deceased_on, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "visit": "INSERT INTO visit (id, pet_id, visit_date, reason, findings, diagnosis, treatment, vet, "
             "created_at) VALUES (?,?,?,?,?,?,?,?,?)",
    "weight": "INSERT INTO weight (id, pet_id, measured_on, grams, created_at) VALUES (?,?,?,?,?)",
    "vaccination": "INSERT INTO vaccination (id, pet_id, given_on, vaccine, batch, next_due, created_at) "
                   "VALUES (?,?,?,?,?,?,?)",
    "medicine_record": "INSERT INTO medicine_record (id, pet_id, client_id, record_date, product, batch, "
                       "quantity, expiry, vet, dispensed, owner_name, owner_address, restricted, "
                       "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "disclosure": "INSERT INTO disclosure (id, client_id, recipient_id, pet_id, disclosed_on, categories, "
                  "basis, consent_id, at_client_request, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
    "invoice": "INSERT INTO invoice (id, number, year, seq, kind, credits_invoice_id, client_id, pet_id, "
               "invoice_date, payment_method, status, customer_name, customer_street, customer_postcode, "
               "customer_city, customer_birth_date, supplier_name, supplier_address, supplier_vat_number, "
               "supplier_kvk, supplier_iban, net_cents, vat_cents, gross_cents, reason, restricted, "
               "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "invoice_line": "INSERT INTO invoice_line (id, invoice_id, position, description, quantity, "
                    "unit_price_cents, vat_rate, net_cents) VALUES (?,?,?,?,?,?,?,?)",
    "payment": "INSERT INTO payment (id, invoice_id, paid_on, amount_cents, method, created_at) "
               "VALUES (?,?,?,?,?,?)",
}


def _chunks(rows: Iterator[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    buf: list[tuple] = []
    for row in rows:
        buf.append(row)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def generate(out: Path, key_file: Path, clients: int = 20000, scale: float = 1.0,
             as_of: Optional[date] = None, seed: int = 2026, quiet: bool = False) -> dict[str, Any]:
    """Create ``out`` and fill it; returns the meta data (also written as JSON)."""
    from vetcards import audit
    from vetcards.db import create_database
    from vetcards.keys import read_key_file, write_new_key_file

    t0 = time.perf_counter()
    as_of = as_of or date.today()
    key = read_key_file(key_file) if key_file.exists() else write_new_key_file(key_file)
    sizes = Sizes.for_clients(clients, scale)
    gen = Generator(sizes, as_of, seed)

    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    gen.plan()
    say(f"planned {sizes.clients} clients, {sizes.pets} pets, {sizes.visits} visits, "
        f"{sizes.invoices} invoices")
    db = create_database(out, key)
    rows_written: dict[str, int] = {}
    try:
        with db.unit("benchmark") as uow:
            conn = uow.conn
            # Bulk work: a 64 MiB page cache (SPEC §6) for this connection.
            conn.exec_driver_sql("PRAGMA cache_size = -65536")
            cur = conn.connection.driver_connection.cursor()

            def insert(table: str, rows: Iterator[tuple]) -> None:
                n = 0
                for chunk in _chunks(rows):
                    cur.executemany(INSERTS[table], chunk)
                    n += len(chunk)
                rows_written[table] = n
                say(f"{table}: {n} rows")

            ts = gen.ts(gen.start)
            cur.executemany("INSERT INTO practice_setting (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            list(PRACTICE.items()))
            # The migrations seed the register of recipients; add a specialist.
            cur.executemany("INSERT INTO recipient (name, kind, agreement_date, categories, needs_consent, "
                            "created_at) VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO NOTHING",
                            [(n, k, iso(gen.start), cat, need, ts) for n, k, cat, need in RECIPIENTS])
            gen.recipients = [tuple(r) for r in cur.execute("SELECT id, categories FROM recipient ORDER BY id")]
            rows_written["recipient"] = len(gen.recipients)
            # Bulk load: the secondary indexes of the filled tables are dropped and made
            # again at the end (one sort each). Kept during the inserts, the indexes on
            # columns that arrive in random order (visit.pet_id, invoice.client_id, ...)
            # each took a B-tree insert at a random page: once the indexes outgrow the page
            # cache, nearly every row read and wrote (decrypted and encrypted) pages from
            # the file, so the time grew faster than the rows (273 s for 200,000 clients
            # against 7.6 s for 20,000).
            marks = ",".join("?" * len(INSERTS))
            indexes = [tuple(r) for r in cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks}) ORDER BY name", tuple(INSERTS))]
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            insert("client", gen.client_rows())
            # The invoice snapshot is the card as written (read back: same values).
            gen._snapshots = [tuple(r) for r in cur.execute(
                "SELECT name, street, postcode, city, birth_date FROM client ORDER BY id")]
            insert("consent", gen.consent_rows())
            insert("pet", gen.pet_rows())
            insert("visit", gen.visit_rows())
            insert("weight", gen.weight_rows())
            insert("vaccination", gen.vaccination_rows())
            insert("medicine_record", gen.medicine_rows())
            insert("disclosure", gen.disclosure_rows())
            n_inv = n_lines = n_pay = 0
            for inv_rows, line_rows, pay_rows in gen.invoice_chunks():
                cur.executemany(INSERTS["invoice"], inv_rows)
                cur.executemany(INSERTS["invoice_line"], line_rows)
                cur.executemany(INSERTS["payment"], pay_rows)
                n_inv += len(inv_rows)
                n_lines += len(line_rows)
                n_pay += len(pay_rows)
            rows_written.update(invoice=n_inv, invoice_line=n_lines, payment=n_pay)
            say(f"invoice: {n_inv} rows, invoice_line: {n_lines}, payment: {n_pay}")
            for _, create in indexes:
                cur.execute(create)
            say(f"{len(indexes)} indexes made again")
            # Keep `client add` / `pet add` numbering in step with the rows.
            cur.execute("UPDATE counter SET value = ? WHERE name = 'client'", (sizes.clients,))
            cur.execute("UPDATE counter SET value = ? WHERE name = 'pet'", (sizes.pets,))
            cur.close()
            audit.record(conn, "benchmark.generate", "database", [],
                         {"clients": sizes.clients, "pets": sizes.pets, "invoices": n_inv,
                          "seed": seed, "as_of": as_of.isoformat()})
            say("committing")
            uow.commit()
    finally:
        db.close()  # the last connection to close checkpoints and removes the WAL
    seconds = time.perf_counter() - t0
    inactive = sum(c.inactive for c in gen.clients)
    meta = {
        "as_of": as_of.isoformat(),
        "seed": seed,
        "scale": scale,
        "clients": sizes.clients,
        "inactive_clients": inactive,
        "claim_hold_clients": sum(c.claim for c in gen.clients),
        "legal_hold_clients": sum(c.legal_hold for c in gen.clients),
        "rows": rows_written,
        "invoice_status": {k: gen.counts[k] for k in ("paid", "open", "in_collection")},
        "seconds": round(seconds, 2),
        "file_bytes": out.stat().st_size,
    }
    meta_path = out.with_suffix(".meta.json")
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    say(f"done in {seconds:.1f} s, {meta['file_bytes'] / 1e6:.0f} MB")
    return meta


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="the database file to create")
    p.add_argument("--key-file", type=Path, required=True, help="key file (created 0600 if missing)")
    p.add_argument("--clients", type=int, default=20000)
    p.add_argument("--scale", type=float, default=1.0,
                   help="history per client (visits, invoices, ...); 1.0 = the issue's sizes")
    p.add_argument("--as-of", default=None, help="reference date (ISO), default today")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.clients < 1 or args.scale <= 0:
        p.error("--clients must be >= 1 and --scale > 0")
    as_of = date.fromisoformat(args.as_of) if args.as_of else None
    if args.out.exists():
        if not args.force:
            print(f"error: {args.out} exists (use --force to replace it)", file=sys.stderr)
            return 1
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(str(args.out) + suffix)
            except FileNotFoundError:
                pass
    os.umask(0o077)
    meta = generate(args.out, args.key_file, args.clients, args.scale, as_of, args.seed, args.quiet)
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
