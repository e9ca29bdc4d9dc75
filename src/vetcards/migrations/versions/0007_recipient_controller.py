"""recipients of another controller (imported history), kept out of the register

``recipient.controller``: NULL for a recipient in this practice's register
(art. 30); the name of the other practice for a recipient that only appears
in disclosures carried by ``vetcards import`` (SPEC §5: the other practice's
recipients are not added to this practice's register).
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN (no batch copy: disclosures refer to recipients).
    op.add_column("recipient", sa.Column("controller", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("recipient", "controller")
