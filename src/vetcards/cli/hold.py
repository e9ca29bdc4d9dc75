"""``vetcards client hold`` / ``client unhold``: manual legal holds.

Registered on the ``client`` group (see :mod:`vetcards.cli.client`).
"""

from __future__ import annotations

from .client import app  # noqa: F401  (commands are added to the client group)
