"""The types of the engine protocol's request ids and job parameters (`server._params`): a wrong type is
answered with JSON-RPC invalid params naming the field, never an internal error."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .errors import BadInput
from .output_guard import check_plain_name


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


def id_problem(value: Any) -> str | None:
    """JSON-RPC ids are strings, numbers or null; anything else cannot be answered by id."""
    if value is None or isinstance(value, str) or _number(value):
        return None
    return "must be a string, a number or null"
