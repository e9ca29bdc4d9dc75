"""invoice number counters per year, date of supply, VAT category per line

* ``counter`` gets one row ``invoice-YYYY`` per year that has invoices, set to
  the highest sequence number issued in that year. From now on the next
  number is the counter + 1 (SPEC §3), never ``max(seq) + 1`` over the rows
  the purge left, so a deleted number is never issued again. Numbers the
  purge deleted before this migration cannot be known; the counter starts
  from the rows present.
* ``invoice.supply_date``: the date of supply (art. 35a Wet OB), stored only
  when it differs from the invoice date.
* ``invoice_line.vat_category``: ``charged`` (21 % or 9 %), ``zero`` (the 0 %
  rate), ``exempt`` (art. 11 Wet OB) or ``outside`` (outside the scope of
  VAT). Existing lines become ``charged``, or ``zero`` at 0 %.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

COUNTER_PREFIX = "invoice-"


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, never a batch copy: with foreign keys on,
    # dropping the old ``invoice`` table would cascade to its lines and payments.
    op.add_column("invoice", sa.Column("supply_date", sa.Date(), nullable=True))
    op.add_column("invoice_line", sa.Column("vat_category", sa.String(length=10), nullable=False,
                                            server_default="charged"))
    line = sa.table("invoice_line", sa.column("vat_rate", sa.Integer), sa.column("vat_category", sa.String))
    op.execute(line.update().where(line.c.vat_rate == 0).values(vat_category="zero"))

    invoice = sa.table("invoice", sa.column("year", sa.Integer), sa.column("seq", sa.Integer))
    rows = op.get_bind().execute(
        sa.select(invoice.c.year, sa.func.max(invoice.c.seq).label("seq")).group_by(invoice.c.year)
    )
    counter = sa.table("counter", sa.column("name", sa.String), sa.column("value", sa.Integer))
    counters = [{"name": f"{COUNTER_PREFIX}{row.year}", "value": row.seq} for row in rows]
    if counters:
        op.bulk_insert(counter, counters)


def downgrade() -> None:
    counter = sa.table("counter", sa.column("name", sa.String))
    op.execute(counter.delete().where(counter.c.name.like(f"{COUNTER_PREFIX}%")))
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), no batch copy (see upgrade).
    op.drop_column("invoice_line", "vat_category")
    op.drop_column("invoice", "supply_date")
