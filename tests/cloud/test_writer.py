"""Splitting a refused batch (cloud/store/writer.py) and reading the database's answers (cloud/store/influx.py)."""
import pytest

from footfall.cloud.store.influx import InfluxError
from footfall.cloud.store.writer import write_refusing


class PartialWriter:
    """Answers as InfluxDB 1.x does: stores the lines it accepts and refuses the rest with one 400 partial write."""

    def __init__(self, bad: set[str]):
        self.bad = bad
        self.stored: set[str] = set()
        self.requests = 0

    def __call__(self, lines: list[str]) -> None:
        self.requests += 1
        self.stored |= {x for x in lines if x not in self.bad}
        dropped = sum(x in self.bad for x in lines)
        if dropped:
            raise InfluxError("HTTP 400", status=400, reason=f"partial write: points beyond retention policy dropped={dropped}")


def test_refused_lines_are_found_and_every_other_line_is_stored():
    lines = [f"m v={i}i {i}" for i in range(1000)]
    bad = {lines[3], lines[500], lines[501], lines[999]}
    write = PartialWriter(bad)
    refused = write_refusing(write, lines)
    assert sorted(x for x, _ in refused) == sorted(bad)
    assert all(e.kind == "points beyond retention policy" for _, e in refused)
    assert write.stored == set(lines) - bad
    assert write.requests <= 2 * len(bad) * 10 + 1  # about 2 log2(n) requests per refused line, not n


def test_a_batch_refused_whole_takes_one_request():
    lines = ["m v=1i 1", "m v=2i 2", "m v=3i 3"]
    write = PartialWriter(set(lines))
    assert [x for x, _ in write_refusing(write, lines)] == lines and write.requests == 1


def test_a_good_batch_is_one_request_and_other_errors_propagate():
    write = PartialWriter(set())
    assert write_refusing(write, ["m v=1i 1", "m v=2i 2"]) == [] and write.requests == 1

    def down(lines):
        raise InfluxError("connection refused", status=None)

    with pytest.raises(InfluxError):
        write_refusing(down, ["m v=1i 1"])


@pytest.mark.parametrize("status, reason, kind, refused, retryable", [
    (400, 'partial write: field type conflict: input field "in" on measurement "footfall_line" is type float, '
          'already exists as type integer dropped=1', "field type conflict", True, False),
    (400, "partial write: points beyond retention policy dropped=3", "points beyond retention policy", True, False),
    (400, 'partial write: max-values-per-tag limit exceeded (100000/100000): measurement="m" tag="t" value="v" '
          'dropped=1', "max-values-per-tag limit exceeded", True, False),
    (400, "partial write: unable to parse 'm,t=x v=': missing field value dropped=0", "unable to parse", True, False),
    (400, "field type conflict", "field type conflict", True, False),
    (422, "failure writing points to database: partial write: points beyond retention policy dropped=1",
     "points beyond retention policy", True, False),
    (503, "hinted handoff queue not empty", "hinted handoff queue not empty", False, True),
    (429, "too many requests", "too many requests", False, True),
    (401, "authorization failed", "authorization failed", False, False),
    (None, "connection refused", "connection refused", False, True),
])
def test_the_database_answer_is_classified(status, reason, kind, refused, retryable):
    e = InfluxError("write", status=status, reason=reason)
    assert (e.kind, e.refused, e.retryable) == (kind, refused, retryable)


def test_a_missing_database_is_recognised():
    assert InfluxError("w", status=404, reason='database not found: "footfall"').missing_database
    assert not InfluxError("w", status=404, reason="page not found").missing_database
