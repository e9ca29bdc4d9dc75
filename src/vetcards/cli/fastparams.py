"""Option values without pydantic: the common parameter types coerced as Typer does, at no import cost.

Typer (0.29 and later) coerces every given option value through a pydantic
``TypeAdapter``: the first value a command gets imports pydantic (35-60 ms
on the desk machine, a sixth of a ``client show``) and builds one adapter a
parameter. For the types the vetcards commands use almost everywhere, a text
(``str``, ``list[str]``), a path (``Path``) and a choice (an ``Enum``), the
result and the error messages are Typer's own helpers'; every other type
(numbers, dates, custom parsers, files) still goes to Typer's adapter.
:func:`install` wraps Typer's ``build_runtime_param``; when Typer changes that
hook, it installs nothing and Typer works as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Optional, get_args, get_origin

__all__ = ["install"]

_installed = False


def _decode(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        import sys

        from typer._click import _compat

        for enc in (_compat._get_argv_encoding(), sys.getfilesystemencoding()):
            try:
                return value.decode(enc)
            except UnicodeError:
                continue
        return value.decode("utf-8", "replace")
    return str(value)


def _kind(annotation: Any, info: Any) -> Optional[str]:
    """'str', 'path' or 'choice' for a type this module coerces; None for Typer's adapter."""
    from typer._param_types import lenient_issubclass, routes_to_path

    if info.parser is not None:
        return None
    if annotation is str:
        return "str"
    if lenient_issubclass(annotation, Enum):
        return "choice"
    if annotation is Path and routes_to_path(annotation, info) and info.path_type in (None, Path):
        return "path"
    return None


class _ValueError(ValueError):
    """The cause of a refused value, with the ``errors()`` of a pydantic ValidationError
    (``cli/errors.py`` words the rule from it, as for Typer's own adapters)."""

    def __init__(self, error: ValueError) -> None:
        super().__init__(str(error))
        self.error = error

    def errors(self) -> list[dict[str, Any]]:
        return [{"type": "value_error", "msg": f"Value error, {self.error}", "ctx": {"error": self.error}}]


def _one(kind: str, item: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    if kind == "str":
        return _decode(value)
    if kind == "choice":
        from typer._click.exceptions import BadParameter
        from typer._display import _escape_control_characters
        from typer._param_types import coerce_cli_choice

        try:
            return coerce_cli_choice(value, choices=list(item), case_sensitive=info.case_sensitive, ctx=ctx)
        except ValueError as exc:  # worded and shaped as pydantic reports a validator's ValueError
            raise BadParameter(_escape_control_characters(f"Value error, {exc}"), ctx=ctx,
                               param=param) from _ValueError(exc)
    from typer._param_types import coerce_cli_path

    if isinstance(value, str):
        value = Path(value)
    return coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)


_FAST: Optional[type] = None
#: Typer's own ``build_runtime_param``, kept by :func:`install`
_ORIGINAL: list[Any] = []


def _fast_class() -> type:
    """The RuntimeParam subclass (made once, on first use)."""
    global _FAST
    if _FAST is None:
        from typer._coercion import RuntimeParam

        @dataclass(frozen=True)
        class FastParam(RuntimeParam):
            kind: str = "str"
            many: bool = False
            item: Any = None
            #: kind "typer": Typer's own RuntimeParam, built when a value first arrives
            typer_param: list[Any] = field(default_factory=list)
            descriptor: Any = None

            def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
                info = self.parameter_info
                if self.kind == "typer":
                    if not self.typer_param:
                        self.typer_param.append(_ORIGINAL[0](self.descriptor))
                    return self.typer_param[0]._coerce_value(value, param, ctx)
                if self.many:
                    if not isinstance(value, (list, tuple)):
                        value = [value]
                    return [_one(self.kind, self.item, info, v, param, ctx) for v in value]
                return _one(self.kind, self.item, info, value, param, ctx)

        _FAST = FastParam
    return _FAST


def _fast(descriptor: Any) -> Optional[Any]:
    """A RuntimeParam for ``descriptor``, or None when Typer's own one is needed."""
    if descriptor.file_annotation is not None:
        return None  # a file is opened at once: Typer's own
    annotation, info = descriptor.annotation, descriptor.parameter_info
    many = get_origin(annotation) is list
    if many:
        args = get_args(annotation)
        if len(args) != 1:
            return None
        annotation = args[0]
    # Every other type waits for a value: an option not given (None) needs no adapter.
    kind = _kind(annotation, info) or "typer"
    return _fast_class()(parameter_info=info, annotation=descriptor.annotation, kind=kind, many=many,
                         item=annotation, descriptor=descriptor)


def install() -> None:
    """Route the common parameter types past pydantic (once per process)."""
    global _installed
    if _installed:
        return
    try:
        import typer.core as core
        from typer._coercion import RuntimeParam  # noqa: F401 - the hook's contract
    except ImportError:  # another Typer: leave it as it is
        return
    original = getattr(core, "build_runtime_param", None)
    if original is None:
        return

    _ORIGINAL.append(original)

    def build_runtime_param(descriptor: Any) -> Any:
        return _fast(descriptor) or original(descriptor)

    core.build_runtime_param = build_runtime_param
    _installed = True
