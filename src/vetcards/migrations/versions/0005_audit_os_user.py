"""The audit log records the operating-system user beside the declared actor.

``--actor`` and ``VETCARDS_ACTOR`` say who declares to be working; anyone can
type anything there. ``os_user`` is the account the process ran under
(``getpass.getuser()``), written by vetcards itself. Entries made before this
revision have none (NULL) and keep their hash: the column enters an entry's
hash only when it is set (:func:`vetcards.audit.entry_hash`).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("os_user", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("os_user")
