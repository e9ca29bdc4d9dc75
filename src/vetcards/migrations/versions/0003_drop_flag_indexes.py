"""Drop the indexes on yes/no and status columns.

Without planner statistics (a practice never runs ANALYZE), SQLite chose the
index on ``restricted`` over the one on ``client_id`` for
``WHERE restricted = 0 AND client_id = ?`` and scanned every invoice: 53 ms
for one client's invoice list on 100,000 invoices, instead of 0.1 ms. A
two-valued column makes a poor index anyway; the status index had the same
risk.
"""
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index("ix_client_restricted")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_restricted")
        batch_op.drop_index("ix_invoice_status")


def downgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index("ix_invoice_status", ["status"], unique=False)
        batch_op.create_index("ix_invoice_restricted", ["restricted"], unique=False)
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index("ix_client_restricted", ["restricted"], unique=False)
