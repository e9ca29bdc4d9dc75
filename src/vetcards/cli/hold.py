"""``vetcards client hold`` / ``client unhold``: manual legal holds.

Registered on the ``client`` group (see :mod:`vetcards.cli.client`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import merge as _merge  # noqa: F401 - registers `client merge` on the same group
from . import output
from .client import app
from .options import ClientArg
from .state import get_state


@app.command("hold")
def hold(
    ctx: typer.Context,
    client: ClientArg,
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why (e.g. a court case); stored on the card, never in the audit log.",
                     show_default=False),
    ],
) -> None:
    """Put a manual legal hold on a client: purge and erase leave the client alone.

    Example: vetcards client hold K000012 --reason "court case 2026/123"
    """
    from .. import retention

    with get_state(ctx).unit() as conn:
        number, replaced = retention.set_legal_hold(conn, client, reason)
        conn.commit()
    output.message(f"client {number}: legal hold {'reason replaced' if replaced else 'set'}")


@app.command("unhold")
def unhold(ctx: typer.Context, client: ClientArg) -> None:
    """Lift a client's manual legal hold.

    Example: vetcards client unhold K000012
    """
    from .. import retention

    with get_state(ctx).unit() as conn:
        number = retention.clear_legal_hold(conn, client)
        conn.commit()
    output.message(f"client {number}: legal hold lifted")
