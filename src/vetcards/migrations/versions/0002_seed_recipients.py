"""seed the recipients named in the privacy statement

A data migration: the register of recipients starts with the kinds of party
the privacy statement names (a lab, a pharmacy, the reminder-card printer and
the Dutch pet database NDG), under generic names the practice may rename.
Nothing of the application is imported: this file must never change.
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'


SEED_RECIPIENTS = (
    # name, kind, categories it may receive, consent purpose it needs
    ("Laboratorium (generiek)", "lab", "naw,animal,record", "lab"),
    ("Apotheek (generiek)", "pharmacy", "naw,animal,record", "pharmacy"),
    ("Drukkerij herinneringskaarten (generiek)", "printer", "naw,animal,recall", "reminders"),
    ("NDG - Nederlandse Databank Gezelschapsdieren", "chip-registry", "naw,animal,chip", "chip-registration"),
)


def upgrade() -> None:
    recipient = sa.table(
        "recipient",
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("agreement_date", sa.Date),
        sa.column("categories", sa.String),
        sa.column("needs_consent", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    existing = {row[0].lower() for row in op.get_bind().execute(sa.text("SELECT name FROM recipient"))}
    rows = [
        {"name": name, "kind": kind, "agreement_date": None, "categories": categories,
         "needs_consent": purpose, "created_at": now}
        for name, kind, categories, purpose in SEED_RECIPIENTS
        if name.lower() not in existing
    ]
    if rows:
        op.bulk_insert(recipient, rows)


def downgrade() -> None:
    # Remove the seeded rows unless a disclosure already refers to them.
    bind = op.get_bind()
    for name, _kind, _categories, _purpose in SEED_RECIPIENTS:
        bind.execute(
            sa.text("DELETE FROM recipient WHERE name = :n AND id NOT IN "
                    "(SELECT recipient_id FROM disclosure)"),
            {"n": name},
        )
