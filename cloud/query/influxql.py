"""Quoting for the few values that reach InfluxQL (ids checked against the config before, quoted all the same)."""
from __future__ import annotations


def lit(value: str) -> str:
    """A string literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def ident(name: str) -> str:
    """An identifier (measurement, tag or field name)."""
    return '"' + str(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def any_of(tag: str, values) -> str:
    """`(tag = 'a' OR tag = 'b')`; a condition that matches nothing when `values` is empty."""
    values = sorted(set(values))
    if not values:
        return f"{ident(tag)} = '' AND {ident(tag)} != ''"
    return "(" + " OR ".join(f"{ident(tag)} = {lit(v)}" for v in values) + ")"
