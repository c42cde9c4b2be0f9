from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from footfall.cloud.config import Site
from footfall.cloud.link.index import CodeIndex
from footfall.cloud.link.linker import GRACE_S, SiteLinker
from footfall.cloud.store.points import linked_points
from footfall.protocol import VisitMessage

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def code_near(base: np.ndarray, flips: int, rng) -> str:
    bits = base.copy()
    bits[rng.choice(512, flips, replace=False)] ^= 1
    return np.packbits(bits).tobytes().hex()


def visit(code, device, zone, start_s, dur_s=20, direction=None, period="2026-11-22"):
    return VisitMessage(site="mall", device=device, seq=0, ts=T0, track=1, code=code, period=period, zone=zone,
                        first_seen=T0 + timedelta(seconds=start_s), last_seen=T0 + timedelta(seconds=start_s + dur_s),
                        direction=direction, quality=0.9)


def fields(changes, prefix):
    """The points the linker's changes become (cloud/store/points.py), those starting with prefix."""
    return [line for line in linked_points(changes) if line.startswith(prefix)]


@pytest.fixture
def site():
    return Site(id="mall", timezone="UTC", entrances=["entrance"],
                stores=[{"id": "store-a", "zones": ["a-floor"]}, {"id": "store-b", "zones": ["b-floor"]}])


def test_visitor_unique_returning_and_flows(site):
    rng = np.random.default_rng(0)
    alice, bob = rng.integers(0, 2, 512), rng.integers(0, 2, 512)
    link = SiteLinker(site)
    out = link.add(visit(code_near(alice, 55, rng), "entrance", None, 0, direction="in"))
    assert fields(out, "footfall_visitors,scope=site") == ["footfall_visitors,scope=site,site=mall unique=1i 1795341600000000000"]
    out = link.add(visit(code_near(alice, 60, rng), "store-a", "a-floor", 30, direction="in"))
    assert fields(out, "footfall_visitors,scope=store-a") and fields(out, "footfall_flow,from=entrance,site=mall,to=store-a")
    out = link.add(visit(code_near(bob, 55, rng), "store-a", "a-floor", 40))
    assert "unique=2i" in fields(out, "footfall_visitors,scope=site")[0]  # a second person, same minute
    out = link.add(visit(code_near(alice, 65, rng), "store-b", "b-floor", 90))
    assert fields(out, "footfall_flow,from=store-a,site=mall,to=store-b")
    out = link.add(visit(code_near(alice, 55, rng), "entrance", None, 400, direction="in"))  # comes back
    assert fields(out, "footfall_visitors,scope=site")[0].startswith("footfall_visitors,scope=site,site=mall returning=1i")
    out = link.add(visit(code_near(alice, 55, rng), "store-a", "a-floor", 430))  # and into store-a again
    assert "returning=1i" in fields(out, "footfall_visitors,scope=store-a")[0]
    assert len(link.periods["2026-11-22"].visitors) == 2


def test_periods_are_separate_and_expire(site):
    now = [1000.0]
    link = SiteLinker(site, clock=lambda: now[0])
    rng = np.random.default_rng(1)
    alice = rng.integers(0, 2, 512)
    link.add(visit(code_near(alice, 30, rng), "entrance", None, 0, period="2026-11-21"))
    out = link.add(visit(code_near(alice, 30, rng), "entrance", None, 60, period="2026-11-22"))
    assert "unique=1i" in fields(out, "footfall_visitors,scope=site")[0]  # a new period knows nobody
    now[0] += GRACE_S + 1
    link.add(visit(code_near(alice, 30, rng), "entrance", None, 120, period="2026-11-22"))
    assert list(link.periods) == ["2026-11-22"] and link.expired == ["2026-11-21"]


@pytest.mark.scene
def test_index_finds_what_a_linear_scan_finds_on_real_faces():
    if not SHARED.is_dir():
        pytest.skip(f"shared data not present at {SHARED}")
    from footfall.bench.faceset import embed_identity_folders
    from footfall.edge.identify.codes import Coder

    labels, E, _ = embed_identity_folders([SHARED / "deepface_ids", SHARED / "dlib_johns", SHARED / "lfw_aligned_100pair"])
    codes = [np.packbits(b).tobytes().hex() for b in Coder(b"k" * 32).bits(E)]
    found = same = 0
    looked = []
    for q in range(len(codes)):
        index = CodeIndex()
        for i, c in enumerate(codes):
            if i != q:
                index.add(c, i)
        exact = index.nearest_exact(codes[q])
        if exact is None:
            continue
        found += 1
        hit = index.nearest(codes[q])
        looked.append(index.last_candidates / len(index))
        same += hit is not None and labels[hit[0]] == labels[exact[0]]
    assert found > 150
    assert same / found >= 0.97  # recall of the sub-linear index against the exact scan
    assert np.mean(looked) < 0.6  # while reading about half of the codes (see cloud/link/index.py)
