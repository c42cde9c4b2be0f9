"""Which packages a wheel carries.

The import names are namespaced (footfall.edge, ...) while the folders stay at the top level. An edge unit installs
only what it runs: `FOOTFALL_TARGET=edge pip wheel .` (make wheel) builds a wheel with footfall.protocol and
footfall.edge alone and the footfall-edge command; the default target carries everything.
"""
import os
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
FOLDERS = {  # import name -> folder
    "footfall.protocol": "protocol",
    "footfall.edge": "edge",
    "footfall.cloud": "cloud",
    "footfall.bench": "bench",
    "footfall.devserver": "deploy/local",  # local mosquitto + influxd: development, demo and tests only
}
SCRIPTS = {
    "footfall-edge": "footfall.edge.__main__:main",
    "footfall-cloud": "footfall.cloud.__main__:main",
    "footfall-bench": "footfall.bench.cli:main",
    "footfall-dev": "footfall.devserver.cli:main",
}
TARGETS = {"all": list(FOLDERS), "edge": ["footfall.protocol", "footfall.edge"]}
# The edge runs on the Python a Jetson ships (JetPack 6: 3.10, whose OpenCV with GStreamer is built for it); the
# cloud, bench and dev server use 3.11. tests/jetson runs the edge tests on 3.10; vermin checks the syntax.
REQUIRES_PYTHON = {"all": ">=3.11", "edge": ">=3.10"}

target = os.environ.get("FOOTFALL_TARGET", "all")
if target not in TARGETS:
    raise SystemExit(f"FOOTFALL_TARGET={target!r}: expected one of {', '.join(TARGETS)}")


def packages(name: str) -> list[str]:
    """The package and every sub-folder holding Python files (sub-packages need no __init__.py)."""
    top = ROOT / FOLDERS[name]
    found = [name]
    for d in sorted(p for p in top.rglob("*") if p.is_dir() and "__pycache__" not in p.parts):
        if any(d.glob("*.py")):
            found.append(".".join([name, *d.relative_to(top).parts]))
    return found


chosen = TARGETS[target]
setup(
    python_requires=REQUIRES_PYTHON[target],
    packages=[p for name in chosen for p in packages(name)],
    package_dir={name: FOLDERS[name] for name in chosen},
    package_data={"footfall.cloud.api.dashboard": ["templates/dashboard/*.html", "static/*.*", "static/vendor/*"]}
    if "footfall.cloud" in chosen else {},  # the web dashboard's templates, script, stylesheet and Chart.js
    options={"build": {"build_base": f"build/{target}"}},  # no stale module of another target in the wheel
    entry_points={"console_scripts": [f"{script} = {ref}" for script, ref in SCRIPTS.items()
                                      if any(ref.startswith(name + ".") for name in chosen)]},
)
