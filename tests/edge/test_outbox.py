import sqlite3

from footfall.edge.publish.outbox import Outbox


def test_put_oldest_ack_in_order(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    for i in range(5):
        box.put(box.next_seq(), "t", b"m%d" % i)
    assert [p.seq for p in box.oldest(3)] == [0, 1, 2]
    assert [p.seq for p in box.oldest(10, after=2)] == [3, 4]
    box.ack(0)
    box.ack(2)
    assert [p.payload for p in box.oldest()] == [b"m1", b"m3", b"m4"] and box.depth() == 3


def test_survives_reopen_and_numbers_never_repeat(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    for _ in range(3):
        box.put(box.next_seq(), "t", b"x")
    box.ack(0)
    box.next_seq()  # reserved but never stored (a crash between numbering and commit)
    box.close()
    again = Outbox(tmp_path / "o.sqlite")
    assert [p.seq for p in again.oldest()] == [1, 2]
    assert again.next_seq() == 4


def test_budget_drops_oldest_first_and_counts_every_drop(tmp_path, caplog):
    box = Outbox(tmp_path / "o.sqlite", max_mb=0.25)
    payload = b"x" * 2000
    for _ in range(400):  # ~800 KB offered to a 256 KB budget
        box.put(box.next_seq(), "t", payload)
    kept = [p.seq for p in box.oldest(1000)]
    assert kept == list(range(kept[0], 400))  # a contiguous tail: the newest survive
    assert box.dropped() == 400 - len(kept) > 0
    assert "dropped the" in caplog.text and "budget" in caplog.text
    box.close()
    assert Outbox(tmp_path / "o.sqlite").dropped() == 400 - len(kept)  # the count is persisted


def test_committed_before_put_returns(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    box.put(box.next_seq(), "t", b"durable")
    # another connection (another process after a crash) sees it at once
    rows = sqlite3.connect(tmp_path / "o.sqlite").execute("SELECT payload FROM outbox").fetchall()
    assert rows == [(b"durable",)]
