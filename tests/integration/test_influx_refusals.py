"""Lines the database refuses never hold up the spool (real influxd, no mocks)."""
import json
import time
import uuid

from footfall.cloud.ingest.state import IngestState
from footfall.cloud.store.influx import InfluxV1
from footfall.cloud.store.writer import Writer


def line(device: str, value: str, t_s: int) -> str:
    return f"footfall_line,device={device},line=door,site=mall in={value},out=0i {t_s * 1_000_000_000}"


def test_refused_lines_are_set_aside_and_everything_else_is_written(influx, tmp_path):
    # a retention policy of one hour: the database refuses a point from two days ago
    influx._call("POST", "/query", params={
        "q": f'CREATE RETENTION POLICY "one_hour" ON "{influx.database}" DURATION 1h REPLICATION 1 DEFAULT'})
    t = int(time.time()) - 600
    old = t - 2 * 86400
    state = IngestState(tmp_path / "ingest.sqlite")
    spool = [
        [line("door-a", "1i", t)],  # good data: `in` is an integer
        [line("door-b", "2i", t), line("door-b", "2.5", t + 1), line("door-c", "3i", old), line("door-b", "4i", t + 2)],
        *[[line("door-d", f"{i}i", t + i)] for i in range(1, 41)],  # good data behind the bad batch
    ]
    for lines in spool:
        state.accept(uuid.uuid4().hex, lines)
    announced = []
    writer = Writer(influx, state, announce=announced.append)
    writer.start()
    try:
        assert writer.drain(60), f"spool still holds {state.spool_rows()} batches"
    finally:
        writer.close()

    rows = influx.query('SELECT sum("in"), count("in") FROM footfall_line GROUP BY device')
    assert {r["device"]: (r["sum"], r["count"]) for r in rows} == {
        "door-a": (1, 1), "door-b": (6, 2), "door-d": (sum(range(1, 41)), 40)}
    assert state.refused_counts() == {"field type conflict": 1, "points beyond retention policy": 1}
    refused = {r["line"]: r["reason"] for r in state.refused_lines()}
    assert set(refused) == {line("door-b", "2.5", t + 1), line("door-c", "3i", old)}
    assert "field type conflict" in refused[line("door-b", "2.5", t + 1)]  # the database's own words
    assert "already exists as type integer" in refused[line("door-b", "2.5", t + 1)]
    assert "beyond retention policy" in refused[line("door-c", "3i", old)]
    assert sorted(json.loads(b)["line"] for b in announced) == sorted(refused)
    assert writer.written_lines == 1 + 2 + 40 and dict(writer.refused) == state.refused_counts()
    state.close()
    state = IngestState(tmp_path / "ingest.sqlite")  # kept durably
    assert len(state.refused_lines()) == 2 and sum(state.refused_counts().values()) == 2
    state.close()


def test_a_missing_database_is_created_and_the_write_retried(influx, tmp_path):
    db = InfluxV1(influx.url, f"t_{uuid.uuid4().hex[:12]}")  # never created
    state = IngestState(tmp_path / "ingest.sqlite")
    t = int(time.time())
    state.accept(uuid.uuid4().hex, [line("door-a", "5i", t)])
    writer = Writer(db, state)
    writer.start()
    try:
        assert writer.drain(30)
        assert db.query('SELECT sum("in") FROM footfall_line')[0]["sum"] == 5
        assert state.refused_counts() == {}
    finally:
        writer.close()
        state.close()
        db._call("POST", "/query", params={"q": f'DROP DATABASE "{db.database}"'})
