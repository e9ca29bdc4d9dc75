"""index payments by date

``cashup`` totals the payments of one day and ``books export`` those of a
year: an index on ``payment.paid_on`` lets both read a date range instead of
every payment of the practice.
"""
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_index("ix_payment_paid_on", "payment", ["paid_on"])


def downgrade() -> None:
    op.drop_index("ix_payment_paid_on", table_name="payment")
