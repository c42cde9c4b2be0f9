from pathlib import Path

import pytest

from footfall.protocol.configfile import ConfigError, SecretRef, Strict, load_config


class Inner(Strict):
    port: int
    name: str = "x"


class Outer(Strict):
    inner: Inner
    items: list[Inner] = []
    secret: SecretRef | None = None


def problems(tmp_path: Path, text: str) -> list:
    f = tmp_path / "c.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(f, Outer)
    return e.value.problems


def test_problem_points_at_the_line_of_the_key(tmp_path):
    [p] = problems(tmp_path, "# comment\ninner:\n  name: a\n  port: nope\n")
    assert (p.line, p.field) == (4, "inner.port")
    assert str(p) == f"{tmp_path / 'c.yaml'}:4: inner.port: Input should be a valid integer, unable to parse string as an integer"


def test_unknown_key_and_missing_key_in_a_list(tmp_path):
    ps = problems(tmp_path, "inner: {port: 1}\nitems:\n  - port: 2\n  - name: b\n    colour: red\n")
    assert [(p.line, p.field, p.reason) for p in ps] == [
        (4, "items.1.port", "Field required"),
        (5, "items.1.colour", "unknown key"),
    ]


def test_yaml_syntax_error_has_a_line(tmp_path):
    [p] = problems(tmp_path, "inner:\n  port: 1\n  name: [unclosed\n")
    assert p.field == "yaml" and p.line >= 3


def test_duplicate_keys_are_an_error(tmp_path):
    [p] = problems(tmp_path, "inner: {port: 1}\ninner: {port: 2}\n")
    assert (p.line, p.field, p.reason) == (2, "inner", "duplicate key")


def test_empty_file(tmp_path):
    [p] = problems(tmp_path, "")
    assert "mapping" in p.reason


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="No such file"):
        load_config(tmp_path / "nope.yaml", Outer)


def test_inline_secret_refused(tmp_path):
    [p] = problems(tmp_path, "inner: {port: 1}\nsecret: hunter2\n")
    assert (p.line, p.field) == (2, "secret") and "inline secrets are not allowed" in p.reason


def test_secret_needs_exactly_one_source(tmp_path):
    [p] = problems(tmp_path, "inner: {port: 1}\nsecret: {file: /a, credential: b}\n")
    assert "exactly one" in p.reason


def test_secret_from_file_and_credential(tmp_path, monkeypatch):
    (tmp_path / "s").write_bytes(b"topsecret\n")
    assert SecretRef(file=tmp_path / "s").read() == b"topsecret"
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert SecretRef(credential="s").read() == b"topsecret"
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    with pytest.raises(RuntimeError, match="CREDENTIALS_DIRECTORY"):
        SecretRef(credential="s").read()


def test_secret_ref_repr_never_shows_content(tmp_path):
    (tmp_path / "s").write_text("topsecret")
    ref = SecretRef(file=tmp_path / "s")
    ref.read()
    assert "topsecret" not in repr(ref) and "topsecret" not in str(ref)
