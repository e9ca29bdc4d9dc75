"""Typed errors raised by the library and turned into CLI messages in one place.

Library code (everything outside ``vetcards.cli``) raises only these. Each
carries a message that is safe to show: it names fields and rules, never the
personal value that failed (a mistyped e-mail may still be personal data).
The CLI maps each class to an exit code (SPEC §7): 1 domain error, 2 usage
error, 3 key or database error.
"""

from __future__ import annotations

import re

_REF = re.compile(r"^[A-Za-z]{0,3}[0-9][0-9-]{0,19}$")


def shown_ref(ref: object) -> str:
    """A reference as it may appear in an error message.

    Numbers and ids (``K000012``, ``12``, ``2026-00042``) are shown; anything
    else (someone typed a name where a number belongs) is not echoed, since it
    may be personal data and error lines end up in cron mail and logs.
    """
    text = str(ref).strip()
    return text if _REF.match(text) else "(as given)"


class VetcardsError(Exception):
    """Base of every error the CLI reports as one line."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class InvalidInput(VetcardsError):
    """A field's value breaks a rule. ``field`` is the CLI name of the field."""

    exit_code = 1

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class NotFound(VetcardsError):
    """The client, pet, invoice ... named does not exist (or is restricted)."""

    exit_code = 1


class Conflict(VetcardsError):
    """The request is valid but the state forbids it (duplicate chip, hold...)."""

    exit_code = 1


class HoldError(Conflict):
    """A retention, claim or manual legal hold forbids the change."""


class ConsentMissing(Conflict):
    """The processing needs a consent the client has not given (or withdrew)."""


class UsageError(VetcardsError):
    """The command line itself is wrong (missing option, refused prompt ...)."""

    exit_code = 2


class KeyFailure(VetcardsError):
    """No key, a wrong key, or an unsafe key file."""

    exit_code = 3


class DatabaseError(VetcardsError):
    """The file is missing, not a vetcards database, locked, or damaged."""

    exit_code = 3
