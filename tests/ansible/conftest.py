"""Debian roots for the playbooks: built once per session (debootstrap), copied per unit.

FOOTFALL_DEBIAN_CACHE=DIR keeps the built roots between sessions (a developer's machine; CI builds afresh).
"""
import os
from pathlib import Path

import pytest
from debroot import DebRoot, Unavailable, build_base, build_ubuntu_base
from filelock import FileLock
from fleet_lab import build_wheel


@pytest.fixture(scope="session")
def debian_base(tmp_path_factory):
    """One debootstrap per run and architecture, shared by the xdist workers (edge and cloud playbook tests run
    in two groups, so on two workers: the second waits for the first's root)."""
    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_dir = run_dir.parent  # the run's base directory, common to all workers
    bases = Path(os.environ.get("FOOTFALL_DEBIAN_CACHE") or run_dir / "debian-bases")
    bases.mkdir(parents=True, exist_ok=True)

    def base(arch: str, distribution: str = "debian") -> Path:
        """bookworm (debian) or jammy (ubuntu: JetPack 6's userland and Python 3.10)."""
        build = {"debian": build_base, "ubuntu": build_ubuntu_base}[distribution]
        try:
            with FileLock(str(bases / f"{distribution}-{arch}.lock")):
                return build(bases, arch)
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
