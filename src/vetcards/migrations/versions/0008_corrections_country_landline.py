"""corrections with a trail, clients abroad, a second phone

* ``visit``, ``vaccination``, ``medicine_record``: ``voided_at`` and
  ``void_reason`` mark a record voided or corrected (SPEC §9: the original
  stays in the history, marked); ``corrects_id`` on the record that replaces
  it names the original (same table; both go together with their pet, so it
  is a plain column, not a foreign key an ALTER TABLE cannot add in SQLite).
* ``payment``: ``voided_at`` and ``void_reason`` for a payment booked in
  error. A refund on a credit note is a payment with a negative amount.
* ``client.country`` (ISO 3166 alpha-2, default ``NL``) and
  ``client.landline`` beside ``client.phone`` (the mobile); the invoice keeps
  the customer's country in its snapshot (``invoice.customer_country``).
  Postcodes are stored compact enough for the existing 7 characters
  (``SW1A1AA``; printed ``SW1A 1AA``).
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

RECORDS = ("visit", "vaccination", "medicine_record")


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN only, never a batch copy (see 0004).
    for table in RECORDS:
        op.add_column(table, sa.Column("voided_at", sa.DateTime(), nullable=True))
        op.add_column(table, sa.Column("void_reason", sa.String(length=500), nullable=True))
        op.add_column(table, sa.Column("corrects_id", sa.Integer(), nullable=True))
    op.add_column("payment", sa.Column("voided_at", sa.DateTime(), nullable=True))
    op.add_column("payment", sa.Column("void_reason", sa.String(length=500), nullable=True))
    op.add_column("client", sa.Column("country", sa.String(length=2), nullable=False, server_default="NL"))
    op.add_column("client", sa.Column("landline", sa.String(length=20), nullable=True))
    op.add_column("invoice", sa.Column("customer_country", sa.String(length=2), nullable=False,
                                       server_default="NL"))


def downgrade() -> None:
    op.drop_column("invoice", "customer_country")
    op.drop_column("client", "landline")
    op.drop_column("client", "country")
    op.drop_column("payment", "void_reason")
    op.drop_column("payment", "voided_at")
    for table in reversed(RECORDS):
        op.drop_column(table, "corrects_id")
        op.drop_column(table, "void_reason")
        op.drop_column(table, "voided_at")
