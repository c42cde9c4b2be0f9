import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from footfall.cloud.config import Site
from footfall.cloud.link.index import CodeIndex
from footfall.cloud.link.linker import SiteLinker
from footfall.cloud.store.points import linked_points
from footfall.protocol import VisitMessage

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def code_near(base: np.ndarray, flips: int, rng) -> str:
    bits = base.copy()
    bits[rng.choice(512, flips, replace=False)] ^= 1
    return np.packbits(bits).tobytes().hex()


def visit(code, device, zone, start_s, dur_s=20, direction=None, period="2026-11-22", track=None):
    return VisitMessage(site="mall", device=device, seq=0, ts=T0, track=abs(int(start_s)) if track is None else track, code=code,
                        period=period, zone=zone, first_seen=T0 + timedelta(seconds=start_s),
                        last_seen=T0 + timedelta(seconds=start_s + dur_s), direction=direction, quality=0.9)


def fields(changes, prefix):
    """The points the linker's changes become (cloud/store/points.py), those starting with prefix."""
    return [line for line in linked_points(changes) if line.startswith(prefix)]


def database(lines, db=None):
    """What InfluxDB holds after these lines: the last write of a series and time wins (a rewrite, not an addition)."""
    db = {} if db is None else db
    for line in lines:
        series_fields, ts = line.rsplit(" ", 1)
        series, fieldset = series_fields.split(" ", 1)
        for kv in fieldset.split(","):
            k, v = kv.split("=")
            db[(series, int(ts), k)] = int(v.rstrip("i"))
    return db


def sums(db) -> dict:
    """Per series and field, the sum over all minutes (what `SELECT sum(...) GROUP BY ...` returns)."""
    out: dict = {}
    for (series, _, k), v in db.items():
        out[(series, k)] = out.get((series, k), 0) + v
    return {key: v for key, v in out.items() if v}


@pytest.fixture
def site():
    return Site(id="mall", timezone="UTC", entrances=["entrance"],
                stores=[{"id": "store-a", "zones": ["a-floor"]}, {"id": "store-b", "zones": ["b-floor"]}])


def test_visitor_unique_returning_and_flows(site):
    rng = np.random.default_rng(0)
    alice, bob = rng.integers(0, 2, 512), rng.integers(0, 2, 512)
    link = SiteLinker(site)
    out = link.add(visit(code_near(alice, 55, rng), "entrance", None, 0, direction="in"))
    assert fields(out, "footfall_visitors,scope=site") == [
        "footfall_visitors,scope=site,site=mall returning=0i,unique=1i 1795341600000000000"]
    out = link.add(visit(code_near(alice, 60, rng), "store-a", "a-floor", 30, direction="in"))
    assert fields(out, "footfall_visitors,scope=store-a") and fields(out, "footfall_flow,from=entrance,site=mall,to=store-a")
    out = link.add(visit(code_near(bob, 55, rng), "store-a", "a-floor", 40))
    assert "unique=2i" in fields(out, "footfall_visitors,scope=store-a")[0]  # a second person, same minute
    assert not fields(out, "footfall_visitors,scope=site")  # not seen coming in: no visitor of the site (yet)
    out = link.add(visit(code_near(bob, 55, rng), "entrance", None, 10, direction="in"))
    assert "unique=2i" in fields(out, "footfall_visitors,scope=site")[0]  # came in at 10:00 after all
    out = link.add(visit(code_near(alice, 65, rng), "store-b", "b-floor", 90))
    assert fields(out, "footfall_flow,from=store-a,site=mall,to=store-b")
    out = link.add(visit(code_near(alice, 55, rng), "entrance", None, 400, direction="in"))  # comes back
    assert fields(out, "footfall_visitors,scope=site") == [
        "footfall_visitors,scope=site,site=mall returning=1i,unique=0i 1795341960000000000"]
    out = link.add(visit(code_near(alice, 55, rng), "store-a", "a-floor", 430))  # and into store-a again
    assert "returning=1i" in fields(out, "footfall_visitors,scope=store-a")[0]
    assert link.visitors("2026-11-22") == 2


def test_seen_passing_a_door_is_no_move(site):
    """A store's door camera sees shoppers walk past in the mall, and the entrance camera sees people turn back:
    visits with neither a zone nor a crossing place nobody anywhere."""
    rng = np.random.default_rng(3)
    alice = rng.integers(0, 2, 512)
    link = SiteLinker(site)
    db = {}
    for v in (visit(code_near(alice, 50, rng), "entrance", None, 0, direction="in"),
              visit(code_near(alice, 50, rng), "store-a", None, 40),  # walked past store-a's door
              visit(code_near(alice, 50, rng), "store-b", "b-floor", 80),
              visit(code_near(alice, 50, rng), "entrance", None, 150),  # near the door inside, did not leave
              visit(code_near(alice, 50, rng), "store-a", "a-floor", 200),
              visit(code_near(alice, 50, rng), "entrance", None, 260, direction="out")):
        database(linked_points(link.add(v)), db)
    moves = {k[0].split(",from=")[1]: n for k, n in sums(db).items() if k[0].startswith("footfall_flow") and n}
    assert moves == {"entrance,site=mall,to=store-b": 1, "store-b,site=mall,to=store-a": 1,
                     "store-a,site=mall,to=entrance": 1}


def test_a_visit_arriving_late_is_inserted_where_it_belongs(site):
    """entrance -> store-b arrives first; the store-a visit between them arrives last: the flow entrance -> store-b
    is rewritten to 0 and the two real moves appear; the store-b visit is not a return to anything."""
    rng = np.random.default_rng(2)
    alice = rng.integers(0, 2, 512)
    link = SiteLinker(site)
    db = database(linked_points(link.add(visit(code_near(alice, 50, rng), "entrance", None, 0, direction="in"))))
    out = link.add(visit(code_near(alice, 50, rng), "store-b", "b-floor", 200))
    database(linked_points(out), db)
    assert fields(out, "footfall_flow,from=entrance,site=mall,to=store-b")[0].startswith(
        "footfall_flow,from=entrance,site=mall,to=store-b moves=1i")
    out = link.add(visit(code_near(alice, 50, rng), "store-a", "a-floor", 100))  # walked there before store-b
    assert "footfall_flow,from=entrance,site=mall,to=store-b moves=0i 1795341780000000000" in linked_points(out)
    database(linked_points(out), db)
    assert sums(db) == {
        ("footfall_visitors,scope=site,site=mall", "unique"): 1,
        ("footfall_visitors,scope=store-a,site=mall", "unique"): 1,
        ("footfall_visitors,scope=store-b,site=mall", "unique"): 1,
        ("footfall_flow,from=entrance,site=mall,to=store-a", "moves"): 1,
        ("footfall_flow,from=store-a,site=mall,to=store-b", "moves"): 1}


def test_store_returns_follow_visit_time_not_arrival(site):
    rng = np.random.default_rng(3)
    alice = rng.integers(0, 2, 512)
    link = SiteLinker(site)
    db: dict = {}
    for start in (600, 0, 300):  # three browses of store-a, 5 minutes apart, arriving out of order
        database(linked_points(link.add(visit(code_near(alice, 50, rng), "store-a", "a-floor", start))), db)
    assert sums(db)[("footfall_visitors,scope=store-a,site=mall", "returning")] == 2
    assert sums(db)[("footfall_visitors,scope=store-a,site=mall", "unique")] == 1
    assert all(v >= 0 for v in db.values())


def test_a_visit_bridging_two_visitors_merges_them_and_rewrites_their_minutes(site):
    """Two captures of one person too far apart to match each other directly, and a third within reach of both:
    whichever order they arrive in, one visitor, one unique, and the minute that lost its visitor reads 0."""
    rng = np.random.default_rng(4)
    base = rng.integers(0, 2, 512)
    flip = rng.permutation(512)
    a, b, c = base.copy(), base.copy(), base.copy()
    b[flip[:120]] ^= 1  # a-b: 120 bits, b-c: 120 bits, a-c: 240 bits (beyond the 172-bit radius)
    c[flip[:240]] ^= 1
    hexes = [np.packbits(x).tobytes().hex() for x in (a, b, c)]
    visits = [visit(hexes[0], "entrance", None, 0, direction="in"), visit(hexes[1], "store-a", "a-floor", 70),
              visit(hexes[2], "store-b", "b-floor", 200)]
    results = set()
    for order in ([0, 2, 1], [0, 1, 2], [2, 1, 0], [1, 0, 2]):
        link = SiteLinker(site)
        db: dict = {}
        for i in order:
            database(linked_points(link.add(visits[i])), db)
        assert link.visitors("2026-11-22") == 1
        results.add(tuple(sorted((k, v) for k, v in db.items() if v)))  # minutes rewritten to 0 differ by order
        if order == [1, 0, 2]:  # b alone first: a store visitor never seen coming in, no site visitor until a is
            assert db.get(("footfall_visitors,scope=site,site=mall", 1795341600000000000 + 60 * 10**9, "unique"), 0) == 0
    assert len(results) == 1
    assert sums(dict(results.pop())) == {
        ("footfall_visitors,scope=site,site=mall", "unique"): 1,
        ("footfall_visitors,scope=store-a,site=mall", "unique"): 1,
        ("footfall_visitors,scope=store-b,site=mall", "unique"): 1,
        ("footfall_flow,from=entrance,site=mall,to=store-a", "moves"): 1,
        ("footfall_flow,from=store-a,site=mall,to=store-b", "moves"): 1}


def test_random_arrival_orders_give_the_figures_of_time_order(site):
    """40 people, 1-3 trips each through entrance / stores / a display aisle, codes at genuine-pair distances: every
    shuffle of their visits ends with the same database as time order, and with the itineraries' own figures."""
    rng = np.random.default_rng(5)
    visits, flows = [], {}
    for person in range(40):
        face = rng.integers(0, 2, 512)
        t = float(rng.uniform(0, 3000))
        places = []
        for trip in range(int(rng.integers(1, 4))):
            visits.append(visit(code_near(face, 45, rng), "entrance", None, t, 5, direction="in", track=len(visits)))
            places.append("entrance")
            for spot in rng.permutation(["a-floor", "b-floor", "aisle"])[:int(rng.integers(0, 4))]:
                t += float(rng.uniform(20, 200))
                device = {"a-floor": "store-a", "b-floor": "store-b", "aisle": "display"}[spot]
                visits.append(visit(code_near(face, 45, rng), device, spot, t, 15, track=len(visits)))
                places.append({"a-floor": "store-a", "b-floor": "store-b"}.get(spot, spot))
            t += float(rng.uniform(300, 900))
        for x, y in zip(places, places[1:]):
            if x != y:
                flows[(x, y)] = flows.get((x, y), 0) + 1

    def run(order, clock=None):
        link = SiteLinker(site, clock=clock or (lambda: 0.0))
        db: dict = {}
        for v in order:
            database(linked_points(link.add(v)), db)
        return link, db

    in_time = sorted(visits, key=lambda v: v.first_seen)
    _, want = run(in_time)
    got_flows = {tuple(k.split(",from=")[1].replace(",site=mall,to=", " ").split()): v
                 for (k, f), v in sums(want).items() if k.startswith("footfall_flow")}
    assert got_flows == flows
    assert sums(want)[("footfall_visitors,scope=site,site=mall", "unique")] == 40
    shuffler = random.Random(6)
    for _ in range(10):
        order = visits[:]
        shuffler.shuffle(order)
        link, db = run(order)
        assert link.visitors("2026-11-22") == 40
        assert db == {k: v for k, v in want.items()} | {k: 0 for k in db.keys() - want.keys()}
        assert sums(db) == sums(want)


def test_a_replayed_visit_changes_nothing(site):
    rng = np.random.default_rng(7)
    alice = rng.integers(0, 2, 512)
    link = SiteLinker(site)
    v = visit(code_near(alice, 50, rng), "entrance", None, 0, direction="in")
    assert link.add(v) and link.last == "linked"
    again = v.model_copy(update={"msg_id": "f" * 32, "seq": 9})  # a restored outbox sends it with a new id
    assert link.add(again) == [] and link.last == "duplicate"


def test_periods_are_separate_and_close_after_the_grace(site):
    now = [1000.0]
    link = SiteLinker(site, clock=lambda: now[0])
    rng = np.random.default_rng(1)
    alice = rng.integers(0, 2, 512)
    link.add(visit(code_near(alice, 30, rng), "entrance", None, 0, direction="in", period="2026-11-21"))
    out = link.add(visit(code_near(alice, 30, rng), "entrance", None, 60, direction="in", period="2026-11-22"))
    assert "unique=1i" in fields(out, "footfall_visitors,scope=site")[0]  # a new period knows nobody
    now[0] += site.link_grace_s - 1  # within the grace: the old period still links
    out = link.add(visit(code_near(alice, 30, rng), "store-a", "a-floor", 30, period="2026-11-21"))
    assert link.last == "linked" and fields(out, "footfall_flow,from=entrance,site=mall,to=store-a")
    now[0] += 2
    link.add(visit(code_near(alice, 30, rng), "entrance", None, 120, period="2026-11-22"))
    assert list(link.periods) == ["2026-11-22"] and link.expired == ["2026-11-21"]
    # too late: not linked (and not a fresh period that would count everyone again), counted per device
    assert link.add(visit(code_near(alice, 30, rng), "store-b", "b-floor", -2000, period="2026-11-21")) == []
    assert link.last == "late" and link.late == {("store-b", "2026-11-21"): 1}
    assert link.add(visit(code_near(alice, 30, rng), "store-b", "b-floor", -9000, period="2026-11-20")) == []
    assert list(link.periods) == ["2026-11-22"]


def test_an_older_period_seen_first_after_a_newer_one_still_links(site):
    """A unit held back across the period change replays yesterday's visits after today's began: within the grace
    they are linked with each other."""
    now = [0.0]
    link = SiteLinker(site, clock=lambda: now[0])
    rng = np.random.default_rng(8)
    alice, bob = rng.integers(0, 2, 512), rng.integers(0, 2, 512)
    link.add(visit(code_near(bob, 30, rng), "entrance", None, 86400, period="2026-11-23"))
    now[0] += 600
    link.add(visit(code_near(alice, 30, rng), "entrance", None, 0, direction="in", period="2026-11-22"))
    out = link.add(visit(code_near(alice, 30, rng), "store-a", "a-floor", 60, period="2026-11-22"))
    assert link.last == "linked" and fields(out, "footfall_flow,from=entrance")
    assert link.visitors("2026-11-22") == 1


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
