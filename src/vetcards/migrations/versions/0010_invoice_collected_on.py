"""the day an invoice went to collection

``invoice.collected_on``: the day ``invoice collect`` handed the invoice over
(NULL: never). A payment voided on an invoice that was paid while in
collection puts it back in collection instead of open. An invoice handed over
before this revision gets the day of its ``invoice.collect`` entry in the
audit log (which names the invoice by number; read once, not per invoice).
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN (no batch copy of the table).
    op.add_column("invoice", sa.Column("collected_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    handed_over = bind.execute(sa.text(
        "SELECT entity_ids, min(ts) AS first FROM audit_log WHERE action = 'invoice.collect' GROUP BY entity_ids"))
    for entity_ids, first in handed_over.fetchall():
        for number in json.loads(entity_ids)[:1]:
            bind.execute(sa.text("UPDATE invoice SET collected_on = :day WHERE number = :number"),
                         {"day": str(first)[:10], "number": number})


def downgrade() -> None:
    op.drop_column("invoice", "collected_on")
