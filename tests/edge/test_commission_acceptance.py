"""The acceptance test's arithmetic: the installer's tally, the agreement, a reversed line."""
import pytest

from footfall.edge.commission.acceptance import Tally, compare


def test_a_tally_typed_one_crossing_at_a_time_or_as_totals():
    t = Tally()
    for line in ["i", "in", "o", "", "+"]:
        t.add(line)
    assert (t.in_, t.out, t.typed) == (3, 1, 4)
    t.add("in=12, out=3")
    assert (t.in_, t.out) == (12, 3)
    with pytest.raises(ValueError, match="tally: 'x'"):
        t.add("x")
    assert (Tally.parse("in=4,out=1").in_, Tally.parse("7").in_) == (4, 7)


def test_agreement_and_a_reversed_line():
    truth = Tally.parse("in=10,out=2")
    ok = compare(12, {"door": {"in": 9, "out": 2}}, truth)
    assert ok.agreement == pytest.approx(1 - 1 / 12, abs=1e-3) and ok.passed and not ok.reversed
    low = compare(12, {"door": {"in": 6, "out": 2}}, truth)
    assert not low.passed and not low.reversed and "FAILED" in low.summary
    flipped = compare(12, {"door": {"in": 2, "out": 10}}, truth)
    assert flipped.reversed and not flipped.passed and "swap a and b of door" in flipped.summary
    balanced = compare(4, {"door": {"in": 2, "out": 2}}, Tally.parse("in=2,out=2"))
    assert balanced.passed and not balanced.reversed  # equal in and out cannot tell a reversed line
