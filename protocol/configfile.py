"""YAML config files validated by pydantic, with errors that point at the file and line.

Shared by both sides (like the wire models) so edge and cloud report config problems the same way.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .topics import ID_PATTERN

M = TypeVar("M", bound=BaseModel)

Id = Annotated[str, Field(pattern=ID_PATTERN)]


def _zone_name(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None
    return name


TimeZone = Annotated[str, AfterValidator(_zone_name)]


class Strict(BaseModel):
    """Base of every config section: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def _key_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int], problems: list[tuple[int, str, str]]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append((key_node.start_mark.line + 1, ".".join(map(str, path + (key,))), "duplicate key"))
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _key_lines(value_node, path + (key,), lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _key_lines(item, path + (i,), lines, problems)


def _locate(loc: tuple, lines: dict[tuple, int]) -> tuple[str, int]:
    """Field path and YAML line for a pydantic error location.

    pydantic puts tags (union members, validator names) into loc; only real keys count. A key that is
    not in the file (a missing field) still names the field, on the line of its parent.
    """
    path: tuple = ()
    line = lines[()]
    names: list[str] = []
    for i, part in enumerate(loc):
        if path + (part,) in lines:
            path += (part,)
            line = lines[path]
            names.append(str(part))
        elif i == len(loc) - 1 and not _is_tag(part):
            names.append(str(part))
    return ".".join(names) or "(top)", line


def _is_tag(part: object) -> bool:
    return isinstance(part, str) and ("[" in part or part[:1].isupper())


def load_config(path: str | Path, model: type[M]) -> M:
    """Parse and validate; raise ConfigError listing every problem as FILE:LINE: field: reason."""
    name = str(path)
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise ConfigError([Problem(name, 0, "file", e.strerror or str(e))]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ConfigError([Problem(name, line, "yaml", str(getattr(e, "problem", None) or e))]) from None
    lines: dict[tuple, int] = {(): 1}
    dupes: list[tuple[int, str, str]] = []
    if root is not None:
        _key_lines(root, (), lines, dupes)
    if dupes:
        raise ConfigError([Problem(name, line, field, reason) for line, field, reason in dupes])
    if not isinstance(data, dict):
        raise ConfigError([Problem(name, 1, "file", "expected a mapping of settings at the top level")])
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            field, line = _locate(err["loc"], lines)
            reason = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                reason = "unknown key"
            problems.append(Problem(name, line, field, reason))
        raise ConfigError(sorted(problems, key=lambda p: p.line)) from None


class SecretError(RuntimeError):
    """A secret the config names cannot be read (missing file, credential not loaded, no permission)."""


class SecretRef(Strict):
    """Where a secret lives: a file (mode 0600) or a systemd credential (LoadCredential=). Never inline."""

    file: Path | None = None
    credential: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")

    @model_validator(mode="before")
    @classmethod
    def _not_inline(cls, value: Any) -> Any:
        if isinstance(value, (str, bytes, int)):
            raise ValueError("inline secrets are not allowed: use {file: PATH} or {credential: NAME}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> "SecretRef":
        if (self.file is None) == (self.credential is None):
            raise ValueError("give exactly one of file or credential")
        return self

    @property
    def path(self) -> Path:
        if self.file is not None:
            return self.file
        creds = os.environ.get("CREDENTIALS_DIRECTORY")
        if not creds:
            raise RuntimeError(f"credential {self.credential!r} requested but CREDENTIALS_DIRECTORY is not set (not run by systemd?)")
        return Path(creds) / str(self.credential)

    def read(self) -> bytes:
        """The secret's bytes, trailing newline removed. Callers must never log the result."""
        try:
            return self.path.read_bytes().rstrip(b"\r\n")
        except OSError as e:
            raise SecretError(f"{self!r}: cannot read {self.path}: {e.strerror}") from None

    def __repr__(self) -> str:  # the reference is harmless, but keep reprs short in logs
        return f"SecretRef({self.file or 'credential:' + str(self.credential)})"


class TlsSettings(Strict):
    ca: Path
    cert: Path | None = None  # client certificate (mutual TLS); cert and key go together
    key: SecretRef | None = None

    @model_validator(mode="after")
    def _pair(self) -> "TlsSettings":
        if (self.cert is None) != (self.key is None):
            raise ValueError("cert and key must be given together")
        return self


class MqttSettings(Strict):
    host: str = "localhost"
    port: int = Field(default=1883, ge=1, le=65535)
    tls: TlsSettings | None = None
    username: str | None = None
    password: SecretRef | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)


def validate_config_command(model: type[BaseModel], what: str):
    """The `validate-config FILE` command of both CLIs: problems on stderr as FILE:LINE: field: reason, exit 2."""
    import sys

    import click

    @click.command("validate-config", help=f"Check {what} YAML config; errors print as FILE:LINE: field: reason (exit 2).")
    @click.argument("file", type=click.Path(dir_okay=False))
    def validate_config(file: str) -> None:
        try:
            load_config(file, model)
        except ConfigError as e:
            for p in e.problems:
                click.echo(str(p), err=True)
            sys.exit(2)
        click.echo(f"{file}: ok")

    return validate_config
