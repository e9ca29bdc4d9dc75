"""index payments by date

``cashup`` totals the payments of one day and ``books export`` those of a
year: an index on ``payment.paid_on`` lets both read a date range instead of
every payment of the practice.

Nothing of the application is imported: this file must never change.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_payment_paid_on", "payment", ["paid_on"])


def downgrade() -> None:
    op.drop_index("ix_payment_paid_on", table_name="payment")
