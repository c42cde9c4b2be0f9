"""Debian roots for the playbooks: built once per session (debootstrap), copied per unit.

FOOTFALL_DEBIAN_CACHE=DIR keeps the built roots between sessions (a developer's machine; CI builds afresh).
"""
import os
from pathlib import Path

import pytest
from debroot import DebRoot, Unavailable, build_base
from fleet_lab import build_wheel


@pytest.fixture(scope="session")
def debian_base(tmp_path_factory):
    bases = Path(os.environ.get("FOOTFALL_DEBIAN_CACHE") or tmp_path_factory.mktemp("debian-bases"))

    def base(arch: str) -> Path:
        try:
            return build_base(bases, arch)
        except Unavailable as e:
            pytest.skip(str(e))

    return base


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def make_root():
    """A fresh writable root from a base (skips where /proc cannot be mounted); removed at session end."""
    made = []

    def make(base: Path, path: Path) -> DebRoot:
        try:
            root = DebRoot(base, path)
        except Unavailable as e:
            pytest.skip(str(e))
        made.append(root)
        return root

    yield make
    for root in made:
        root.remove()
