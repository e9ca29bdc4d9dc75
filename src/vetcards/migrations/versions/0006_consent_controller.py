"""consents given to another controller (imported history)

``consent.controller``: NULL for a consent given to this practice; the name
of the other practice for a consent carried by ``vetcards import`` (SPEC §5:
a consent is given to one controller, so an imported one is history here,
never current). Consents already imported before this revision cannot be
told apart from this practice's own and stay as they are.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN (no batch copy of the table).
    op.add_column("consent", sa.Column("controller", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("consent", "controller")
