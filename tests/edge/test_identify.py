from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from footfall.edge.identify.codebook import CodeBook
from footfall.edge.identify.codes import Coder, hamming, period_key, projection
from footfall.edge.identify.gallery import DeviceGallery
from footfall.protocol.contract import period_id

SECRET = b"0123456789abcdef0123456789abcdef"
BERLIN = "Europe/Berlin"


def ts(s: str, tz: str = BERLIN) -> float:
    return datetime.fromisoformat(s).replace(tzinfo=ZoneInfo(tz)).timestamp()


def unit(v):
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("local, expected", [
    ("2026-11-22T03:59:59", "2026-11-21"),  # before the 04:00 rotation: still yesterday's period
    ("2026-11-22T04:00:00", "2026-11-22"),
    ("2026-03-29T03:30:00", "2026-03-28"),  # the night clocks go forward (02:00 -> 03:00 CET -> CEST)
    ("2026-03-29T04:00:00", "2026-03-29"),
    ("2026-10-25T03:30:00", "2026-10-24"),  # clocks go back
    ("2026-10-25T04:00:00", "2026-10-25"),
])
def test_daily_period_rotates_at_the_local_hour_across_dst(local, expected):
    assert period_id(ts(local), BERLIN, "daily", 4) == expected


def test_weekly_and_monthly_periods():
    assert period_id(ts("2026-11-23T03:00:00"), BERLIN, "weekly", 4) == "2026-W47"  # Monday before 04:00
    assert period_id(ts("2026-11-23T05:00:00"), BERLIN, "weekly", 4) == "2026-W48"
    assert period_id(ts("2026-12-01T03:00:00"), BERLIN, "monthly", 4) == "2026-11"


def test_period_keys_differ_by_period_site_and_secret():
    k = period_key(SECRET, "mall", "2026-11-22")
    assert k == period_key(SECRET, "mall", "2026-11-22") and len(k) == 32
    assert k != period_key(SECRET, "mall", "2026-11-23")
    assert k != period_key(SECRET, "other", "2026-11-22")
    assert k != period_key(SECRET[::-1], "mall", "2026-11-22")
    with pytest.raises(ValueError, match="16 bytes"):
        period_key(b"short", "mall", "p")


def test_projection_blocks_are_orthogonal():
    p = projection(b"k" * 32, 128, 512).astype(np.float64)
    assert p.shape == (512, 128)
    assert np.allclose(p[:128] @ p[:128].T, np.eye(128), atol=1e-5)


def test_codes_are_locality_sensitive_under_one_key():
    rng = np.random.default_rng(0)
    coder = Coder(period_key(SECRET, "mall", "2026-11-22"))
    e = unit(rng.standard_normal(128))
    near = unit(e + 0.3 * unit(rng.standard_normal(128)))  # cosine ~0.96
    far = unit(rng.standard_normal(128))
    assert len(coder.code(e)) == 128 and coder.code(e) == coder.code(e.copy())
    assert hamming(coder.code(e), coder.code(near)) < 80
    assert 180 < hamming(coder.code(e), coder.code(far)) < 332


def test_codebook_uses_the_period_a_track_started_in():
    book = CodeBook(SECRET, "mall", BERLIN, "daily", 4)
    e = unit(np.random.default_rng(1).standard_normal(128))
    before, p1 = book.code(e, ts("2026-11-22T03:59:50"))
    after, p2 = book.code(e, ts("2026-11-22T04:00:10"))
    assert (p1, p2) == ("2026-11-21", "2026-11-22")
    assert hamming(before, after) > 180  # unrelated across periods
    assert book.code(e, ts("2026-11-22T03:59:59"))[0] == before
    assert "0123" not in repr(book)


def test_device_gallery_counts_returning_and_wipes_at_period_end():
    g = DeviceGallery(max_distance=80)
    a, b = "00" * 64, "ff" * 64
    almost_a = "0f" + "00" * 63  # 4 bits away
    assert g.seen(a, "p1") is False
    assert g.seen(almost_a, "p1") is True
    assert g.seen(b, "p1") is False
    assert g.seen(a, "p2") is False  # new period: nobody is known
