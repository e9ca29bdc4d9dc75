"""The lazy command registry: every top-level command, importing none of them.

Name -> (module in ``vetcards.cli``, Typer app attribute, command inside that
app or None for a whole group, short help for the listing). The root group
(:class:`vetcards.cli.errors.VetcardsGroup`) imports a module only when one of
its commands runs (or its help is shown), so ``vetcards --help`` stays as cheap
as importing Typer. The short help must equal the command's own first help
line (tests/cli/test_docs.py). This module imports nothing.
"""

from __future__ import annotations

from typing import Optional

COMMANDS: dict[str, tuple[str, str, Optional[str], str]] = {
    "init": ("init", "app", "init", "Create a new encrypted practice database."),
    "client": ("client", "app", None, "Client cards (klantenkaart): add, edit, show, list, search."),
    "pet": ("pet", "app", None, "Patient cards (patiëntenkaart): add, edit, show, list, weigh, deceased."),
    "practice": ("practice", "app", None,
                 "Practice settings: name, address, BTW, KvK, IBAN, privacy statement, retention."),
    "species": ("species", "app", None, "The list of known species used to validate pet cards."),
    "invoice": ("invoice", "app", None, "Invoices: create, show, list, pay, collect, credit, refund, void a payment."),
    "cashup": ("cashup", "app", "cashup",
               "Close the till: the day's invoices per payment method and VAT rate, and the payments received."),
    "debtors": ("debtors", "app", "debtors",
                "List the open invoices by age past their due date (0-30, 31-60, 61-90, over 90 days)."),
    "books": ("books", "app", None, "The books of a year: every invoice, credit note and payment, for the bookkeeper."),
    "purge": ("purge", "app", "purge", "Delete clients inactive for more than the inactivity period."),
    "export": ("rights", "app", "export",
               "Export everything held on a client and their animals (access, portability)."),
    "import": ("rights", "app", "import",
               "Import a client from another practice's vetcards JSON export (portability)."),
    "erase": ("erase", "app", "erase", "Erase a client's personal data after an identity check (right to erasure, GDPR article 17)."),
    "request": ("request", "app", None,
                "Data-subject requests and their deadlines (GDPR article 12(3)): add, list, extend, close."),
    "audit": ("audit", "app", None, "The audit log: show entries, verify the hash chain."),
    "rekey": ("rekey", "app", "rekey",
              "Rotate the database key: passphrase or key file, to a new passphrase or key file."),
    "backup": ("backup", "app", "backup", "Write an encrypted, consistent copy of the database while it is in use."),
    "restore": ("backup", "app", "restore",
                "Replace the database with a backup, then re-apply later erasures from the ledger."),
    "doctor": ("doctor", "app", "doctor",
               "Check the database: integrity, encryption, permissions, migrations, purge, requests, audit."),
    "visit": ("record", "visit_app", None, "Consultations in the medical record: add (shown by vetcards pet show)."),
    "vaccinate": ("record", "app", "vaccinate",
                  "Record a vaccination; --next-due makes a recall for the reminder cards."),
    "medicine": ("record", "app", "medicine",
                 "Record a veterinary medicine administered or dispensed (kept 5 years, EU 2019/6 article 103)."),
    "record": ("record", "record_app", None,
               "Corrections in the medical record: void or correct a visit, vaccination or medicine record."),
    "consent": ("consent", "app", None,
                "Consents per purpose: give, withdraw (as easy as giving), list with history."),
    "recipient": ("sharing", "recipient_app", None, "The register of recipients: parties data may be shared with."),
    "reminders": ("sharing", "reminders_app", None, "Vaccination reminder cards for the mailing firm."),
    "chip": ("sharing", "chip_app", None, "Chip registration at the Dutch pet database (NDG)."),
    "refer": ("sharing", "app", "refer",
              "Write a referral bundle of one patient (card, record, owner contact) as JSON."),
    "disclose": ("sharing", "app", "disclose",
                 "Log a disclosure made outside vetcards (a lab form, a pharmacy order), with the consent checked."),
    "stats": ("stats", "app", "stats",
              "Anonymised statistics: aggregate counts only, cells under 5 shown as <5, no totals."),
    "shell": ("shell", "app", "shell", "Run commands one per line in one session: on a terminal with completion and history, or a batch from a pipe."),
    "register": ("register", "app", "register",
                 "Print the record of processing activities (GDPR article 30) from the recipients register "
                 "and the retention settings."),
}
