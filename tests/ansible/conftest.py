"""Debian roots for the playbooks: built once per session (debootstrap), copied per unit.

FOOTFALL_DEBIAN_CACHE=DIR keeps the built roots between sessions (a developer's machine; CI builds afresh).
"""
import os
from pathlib import Path

import pytest
from debroot import Unavailable, build_base
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
