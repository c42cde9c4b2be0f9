import json
from datetime import datetime, timedelta, timezone

import pytest

from footfall.protocol import (
    MAX_PAYLOAD_BYTES,
    AlertMessage,
    CountsMessage,
    DeviceVisitors,
    DisplayCount,
    HealthMessage,
    LineCount,
    ProtocolError,
    StatusMessage,
    VisitMessage,
    ZoneCount,
    decode,
    encode,
    parse_message,
    topic_for,
)
from footfall.protocol.messages import interval_start

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
HEAD = dict(site="mall-west", device="entrance-1", seq=7, ts=T0 + timedelta(seconds=61))


def examples():
    return [
        CountsMessage(**HEAD, interval_start=T0, interval_s=60,
                      lines=[LineCount(line="door", **{"in": 12}, out=9)],
                      zones=[ZoneCount(zone="lobby", entries=12, exits=10, occupancy_max=5, occupancy_mean=2.5,
                                       dwell_s_sum=340.0, dwell_n=10)],
                      displays=[DisplayCount(display="screen-1", passers=20, viewers=6, look_s_sum=31.5)],
                      visitors=DeviceVisitors(unique=11, returning=2)),
        VisitMessage(**HEAD, track=42, code="ab" * 64, period="2026-11-22", zone="lobby", first_seen=T0,
                     last_seen=T0 + timedelta(seconds=30), direction="in", line="door", quality=0.8),
        HealthMessage(**HEAD, uptime_s=3600, fps=14.8, stage_ms={"detect": 6.1, "embed": 8.0}, dropped_frames=3,
                      outbox_depth=0, cpu_temp_c=61.2, camera="ok", models={"sface": "0123abcd"}, clock_synced=True),
        StatusMessage(**HEAD, state="online", version="0.1.0"),
        AlertMessage(**HEAD, list="vip", entry="vip-0012", zone="lobby", seen_at=T0, score=0.91),
    ]


@pytest.mark.parametrize("message", examples(), ids=lambda m: m.kind)
def test_round_trip_every_kind(message):
    topic = topic_for(message.site, message.device, message.kind)
    payload = encode(message)
    back = parse_message(topic, payload)
    assert back == message
    assert type(back) is type(message)
    assert json.loads(payload)["schema_version"] == 1


def test_line_count_uses_in_on_the_wire():
    payload = json.loads(encode(examples()[0]))
    assert payload["lines"] == [{"line": "door", "in": 12, "out": 9}]


def test_msg_ids_are_unique():
    assert len({StatusMessage(**HEAD, state="online", version="1").msg_id for _ in range(100)}) == 100


def good(kind_index=0) -> dict:
    return json.loads(encode(examples()[kind_index]))


def rejected(payload, topic=topic_for("mall-west", "entrance-1", "counts")) -> ProtocolError:
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    with pytest.raises(ProtocolError) as e:
        parse_message(topic, payload)
    return e.value


def test_wrong_type_names_the_field():
    p = good()
    p["seq"] = "seven"
    e = rejected(p)
    assert e.field == "seq" and "integer" in e.reason


def test_nested_wrong_type_names_the_path():
    p = good()
    p["lines"][0]["in"] = -1
    e = rejected(p)
    assert e.field == "lines.0.in" and "greater than or equal to 0" in e.reason


def test_missing_field():
    p = good()
    del p["interval_start"]
    e = rejected(p)
    assert (e.field, e.reason) == ("interval_start", "Field required")


def test_unknown_kind():
    p = good()
    p["kind"] = "frames"
    assert rejected(p).field == "kind"


def test_unknown_field_is_rejected_so_nothing_rides_along():
    p = good(1)
    p["embedding"] = [0.1] * 128
    e = rejected(p, topic_for("mall-west", "entrance-1", "visits"))
    assert (e.field, e.reason) == ("embedding", "Extra inputs are not permitted")


def test_oversize_payload():
    e = rejected(b"{" + b" " * MAX_PAYLOAD_BYTES + b"}")
    assert e.field == "payload" and "exceeds" in e.reason


def test_not_json_and_not_an_object():
    assert "not JSON" in rejected(b"\xff\xfe garbage").reason
    assert "JSON object" in rejected("[1, 2]").reason


def test_long_strings_are_rejected():
    p = good(3)
    p["version"] = "x" * 5000
    assert rejected(p, topic_for("mall-west", "entrance-1", "status")).field == "version"


def test_kind_must_match_topic():
    e = rejected(good(0), topic_for("mall-west", "entrance-1", "visits"))
    assert e.field == "kind"


def test_site_and_device_must_match_topic():
    e = rejected(good(0), topic_for("mall-east", "entrance-1", "counts"))
    assert e.field == "site"


def test_bad_topic():
    assert rejected(good(0), "footfall/v1/x").field == "topic"


def test_naive_timestamp_rejected():
    p = good()
    p["ts"] = "2026-11-22T10:00:00"
    assert rejected(p).field == "ts"


def test_visit_consistency():
    p = good(1)
    p["last_seen"] = "2026-11-22T09:00:00Z"
    assert "before first_seen" in rejected(p, topic_for("mall-west", "entrance-1", "visits")).reason
    p = good(1)
    del p["period"]
    assert "period" in rejected(p, topic_for("mall-west", "entrance-1", "visits")).reason


def test_code_must_be_512_hex_bits():
    p = good(1)
    p["code"] = "ab" * 32
    assert rejected(p, topic_for("mall-west", "entrance-1", "visits")).field == "code"


def test_decode_without_topic():
    m = examples()[2]
    assert decode(encode(m)) == m


def test_interval_start_aligns_to_epoch():
    ts = datetime(2026, 11, 22, 10, 7, 59, 900000, tzinfo=timezone.utc)
    assert interval_start(ts, 60) == datetime(2026, 11, 22, 10, 7, tzinfo=timezone.utc)
    assert interval_start(ts, 300) == datetime(2026, 11, 22, 10, 5, tzinfo=timezone.utc)
