"""A job's request parameters (JSON values, as the engine protocol sends them) checked before its job is built:
unknown, missing or mistyped ones are the client's mistake, never an internal error. Each job module's
`from_params` calls `take`; the server answers `BadParams` with JSON-RPC invalid params naming the field."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..errors import BadInput
from ..output_guard import check_plain_name


class BadParams(Exception):
    """Parameters a job does not take, or of the wrong type: the calling program's mistake, not the artist's."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    """A string that can name a file: no NUL, no lone surrogate (a JSON "\\ud800" is no character)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(_text(item) for item in value)


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and all(_number(item) for item in value)


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


# name → (check, what the client should send): the parameters of the file-based jobs.
PARAM_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "keys": (_texts, "must be a list of file paths"),
    "frames": (_texts, "must be a list of file paths"),
    "frame": (_text, "must be a file path"),
    "out": (_text, "must be a folder path"),
    "book": (_optional(_text), "must be a file path or null"),
    "count": (_optional(_whole), "must be a whole number"),
    "times": (_optional(_numbers), "must be a list of numbers"),
    "key_times": (_optional(_numbers), "must be a list of numbers"),
    "line_width": (_optional(_number), "must be a number"),
    "mode": (_text, "must be a text"),
    "ease": (_text, "must be a text such as 'ease-in:3'"),
    "device": (_text, "must be 'auto', 'cpu' or 'cuda'"),
    "resize": (_text, "must be 'none' or 'first'"),
    "input": (_text, "must be 'frame' or 'douga'"),
    "overwrite": (_flag, "must be true or false"),
    "raw": (_flag, "must be true or false"),
    "fills": (_flag, "must be true or false"),
    "name": (_optional(_text), "must be a plain file name"),
}


def param_problem(name: str, value: Any) -> str | None:
    """What is wrong with this parameter's value (None: nothing, or a parameter this table does not know)."""
    kind = PARAM_KINDS.get(name)
    if kind is None:
        return None
    check, expected = kind
    if not check(value):
        return expected
    if name == "name" and value is not None:
        try:
            check_plain_name(value, "name")
        except BadInput:
            return "must be a plain file name (no folders, no '..', not absolute)"
    return None


def take(params: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    """Check the parameter names a job takes and their types; unknown, missing or mistyped ones raise
    `BadParams` (naming the field where one is to blame)."""
    unknown = sorted(set(params) - set(required) - set(optional))
    missing = [name for name in required if name not in params]
    if unknown or missing:
        problems = ([f"unknown parameter(s) {', '.join(unknown)}"] if unknown else []) + \
                   ([f"missing parameter(s) {', '.join(missing)}"] if missing else [])
        raise BadParams("; ".join(problems))
    for name, value in params.items():
        problem = param_problem(name, value)
        if problem is not None:
            raise BadParams(f"'{name}' {problem}", name)
    return params
