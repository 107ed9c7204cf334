"""One error type and small checks shared by the generators: bad parameters fail at once, in one line."""

from __future__ import annotations


class InvalidParameterError(ValueError):
    """A generator or data-source parameter is outside what is allowed; the message names both."""


def check_int_range(name: str, value: int, low: int, high: int | None = None) -> int:
    """Return ``value`` if it is an int in ``[low, high]`` (``high=None``: no upper bound), else raise."""
    allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(f"{name}={value!r} must be an integer {allowed}")
    if value < low or (high is not None and value > high):
        raise InvalidParameterError(f"{name}={value} is not allowed; it must be {allowed}")
    return value


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming the choices."""
    if value not in allowed:
        raise InvalidParameterError(f"{name}={value!r} is not allowed; choose one of {', '.join(allowed)}")
    return value
