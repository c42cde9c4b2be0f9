"""Edge units replaying a rendered scene -> real mosquitto -> ingest -> real influxd, checked with InfluxQL."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid

import pytest
import yaml
from mqtt_recorder import Recorder

from footfall.cloud.config import CloudConfig
from footfall.cloud.ingest.service import Ingest
from footfall.protocol import parse_message

pytestmark = pytest.mark.integration


@pytest.fixture
def ingest(services, tmp_path):
    db = f"t_{uuid.uuid4().hex[:10]}"
    cfg = CloudConfig.model_validate({
        "mqtt": {"host": "127.0.0.1", "port": services.mosquitto.port, "client_id": f"ingest-{db}"},
        "influx": {"url": services.influxd.url, "database": db},
        "sites": [{"id": "mall-demo", "timezone": "Europe/Berlin", "entrances": ["entrance"],
                   "stores": [{"id": "store-a", "zones": ["store-a-floor"]}]}],
        "state_dir": str(tmp_path / "cloud")})
    ing = Ingest(cfg)
    ing.start()
    assert ing.connected.wait(10)
    yield ing
    ing.close()


def publish_device(scene_dir, device, port, tmp_path) -> None:
    cfg = yaml.safe_load((scene_dir / f"{device}.yaml").read_text())
    cfg["mqtt"] = {"host": "127.0.0.1", "port": port}
    cfg["outbox"] = {"dir": str(tmp_path / device)}
    path = tmp_path / f"{device}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    r = subprocess.run([sys.executable, "-m", "footfall.edge", "run", "--config", str(path), "--fast"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


def settle(ing: Ingest, expected_stored: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ing.handler.counts["stored"] >= expected_stored and ing.state.spool_rows() == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"ingest did not settle: {dict(ing.handler.counts)}, spool {ing.state.spool_rows()}")


def test_scene_counts_reach_influx_and_no_code_does(services, scene, ingest, tmp_path):
    out, truth = scene
    rec = Recorder(services.mosquitto.port, topic="footfall/v1/mall-demo/+/visits")
    for device in ("entrance", "store-a"):
        publish_device(out, device, services.mosquitto.port, tmp_path)
    rec.wait_for(lambda ms: len(ms) >= 5, 10)
    rec.close()
    codes = [parse_message(t, p).code for t, p in rec.messages if parse_message(t, p).code]
    assert codes, "the edge published coded visits"
    data_published = ingest.handler.counts["stored"]
    settle(ingest, data_published)
    db = ingest.db
    rows = db.query("SELECT sum(\"in\") FROM footfall_line WHERE site = 'mall-demo' GROUP BY device")
    got = {r["device"]: r["sum"] for r in rows}
    for device in ("entrance", "store-a"):
        assert got[device] == sum(c["direction"] == "in" for c in truth["devices"][device]["crossings"])
    visits = db.query("SELECT sum(visits) FROM footfall_visits WHERE zone = 'store-a-floor'")
    assert visits[0]["sum"] == len(truth["devices"]["store-a"]["zone_visits"])
    # linked across devices in the cloud: anonymous visitors, returning ones and flows
    people = db.query("SELECT sum(\"unique\"), sum(returning) FROM footfall_visitors WHERE scope = 'site'")[0]
    assert people["sum"] == len(truth["visitors"])
    assert people["sum_1"] == sum(len(v["trips"]) == 2 for v in truth["visitors"])
    store = db.query("SELECT sum(\"unique\") FROM footfall_visitors WHERE scope = 'store-a'")[0]
    assert store["sum"] == len({zv["visitor"] for zv in truth["devices"]["store-a"]["zone_visits"]})
    flows = db.query("SELECT sum(moves) FROM footfall_flow WHERE \"from\" = 'entrance' AND \"to\" = 'store-a'")
    first_stop_a = sum(1 for v in truth["visitors"] for t in range(len(v["trips"])) if any(
        zv["visitor"] == v["id"] and zv["trip"] == t for zv in truth["devices"]["store-a"]["zone_visits"]))
    assert flows and flows[0]["sum"] >= first_stop_a - 1
    # every series and every field of every measurement: no code, not even a fragment of one
    dump = []
    for m in db.query("SHOW MEASUREMENTS"):
        dump += [str(r) for r in db.query(f'SELECT * FROM "{m["name"]}"')]
    dump += [str(r) for r in db.query("SHOW SERIES")] + [str(r) for r in db.query("SHOW TAG VALUES WITH KEY =~ /.*/")]
    text = "\n".join(dump)
    assert len(dump) > 20
    assert not any(code[:16] in text for code in codes)
    assert not re.search(r"[0-9a-f]{32}", text)  # nor any long hex (codes, msg_ids)


def test_redelivered_counts_rewrite_not_add(services, ingest):
    import paho.mqtt.client as mqtt

    from footfall.protocol import CountsMessage, LineCount, encode, topic_for

    m = CountsMessage(site="mall-demo", device="door-x", seq=0, ts="2026-11-20T09:01:00Z",
                      interval_start="2026-11-20T09:00:00Z", interval_s=60, lines=[LineCount(line="door", **{"in": 7}, out=2)])
    again = m.model_copy(update={"msg_id": uuid.uuid4().hex, "seq": 1})  # a replay with a new id (e.g. restored outbox)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.connect("127.0.0.1", services.mosquitto.port)
    c.loop_start()
    for msg in (m, m, again):
        c.publish(topic_for("mall-demo", "door-x", "counts"), encode(msg), qos=1).wait_for_publish(5)
    c.loop_stop()
    c.disconnect()
    # all three handled (two stored, one dropped as a duplicate) and written: a wrongly added point would be there
    settle(ingest, 2)
    rows = ingest.db.query("SELECT sum(\"in\"), count(\"in\") FROM footfall_line WHERE device = 'door-x'")
    assert ingest.handler.counts["duplicate"] >= 1  # the same msg_id twice: dropped by the dedupe window
    assert (rows[0]["sum"], rows[0]["count"]) == (7, 1)  # the replay with a new id rewrote the same point


def publisher(port):
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.max_inflight_messages_set(1000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def counts_msg(device: str, minute: int, n_in: int):
    from datetime import datetime, timedelta, timezone

    from footfall.protocol import CountsMessage, LineCount

    start = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=minute)
    return CountsMessage(site="mall-demo", device=device, seq=minute, ts=start + timedelta(seconds=60),
                         interval_start=start, interval_s=60, lines=[LineCount(line="door", **{"in": n_in}, out=0)])


def test_influx_outage_loses_nothing(services, ingest):
    from footfall.protocol import encode, topic_for

    pub = publisher(services.mosquitto.port)
    topic = topic_for("mall-demo", "door-o", "counts")
    sent = 0
    for minute in range(20):
        pub.publish(topic, encode(counts_msg("door-o", minute, minute + 1)), qos=1).wait_for_publish(5)
        sent += minute + 1
    settle(ingest, 20)
    services.influxd.stop()
    try:
        for minute in range(20, 140):  # two hours of counts arrive while the database is away
            m = counts_msg("door-o", minute, minute + 1)
            pub.publish(topic, encode(m), qos=1).wait_for_publish(5)
            if minute % 3 == 0:  # and some arrive twice
                pub.publish(topic, encode(m), qos=1).wait_for_publish(5)
            sent += minute + 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ingest.state.spool_rows() < 120:
            time.sleep(0.2)
        assert ingest.state.spool_rows() >= 120  # held on disk, acknowledged to the broker
    finally:
        services.influxd.start()
    pub.loop_stop()
    pub.disconnect()
    assert ingest.writer.drain(120)
    rows = ingest.db.query("SELECT sum(\"in\"), count(\"in\") FROM footfall_line WHERE device = 'door-o'")
    assert (rows[0]["sum"], rows[0]["count"]) == (sent, 140)


def test_hostile_flood_is_parked_and_good_messages_stored(services, ingest):
    """100,000 bad payloads of every kind mixed with good ones: no crash, each bad one parked with a reason."""
    import json
    import random

    from mqtt_recorder import Recorder

    from footfall.cloud.ingest.handler import DEAD_LETTER_TOPIC
    from footfall.protocol import encode, topic_for

    rng = random.Random(7)
    good_topic = topic_for("mall-demo", "door-h", "counts")
    template = json.loads(encode(counts_msg("door-h", 0, 1)))
    future = dict(template, ts="2099-01-01T00:00:00Z")

    def hostile(i):
        kind = i % 10
        if kind == 0:
            return good_topic, b"{broken json " + str(i).encode()
        if kind == 1:
            return good_topic, json.dumps(dict(template, seq="many", msg_id=f"{i:032x}")).encode()
        if kind == 2:
            return good_topic, b"{" + b" " * 70_000 + b"}"
        if kind == 3:
            return "footfall/v1/mall-demo/door-h/frames", encode(counts_msg("door-h", 0, 1))
        if kind == 4:
            return good_topic, json.dumps(dict(template, msg_id=f"{i:032x}", embedding=[rng.random() for _ in range(128)])).encode()
        if kind == 5:
            return good_topic, json.dumps(dict(future, msg_id=f"{i:032x}")).encode()
        if kind == 6:
            return topic_for("evil-site", "door-h", "counts"), json.dumps(dict(template, site="evil-site", msg_id=f"{i:032x}")).encode()
        if kind == 7:
            return good_topic, bytes(rng.getrandbits(8) for _ in range(64))
        if kind == 8:
            return good_topic, json.dumps([1, 2, 3]).encode()
        return good_topic, json.dumps(dict(template, kind="visits", msg_id=f"{i:032x}")).encode()

    dead = Recorder(services.mosquitto.port, topic=DEAD_LETTER_TOPIC)
    before = ingest.handler.counts["parked"]
    before_kinds = ingest.state.parked_counts()
    pub = publisher(services.mosquitto.port)
    good_sent = 0
    for i in range(100_000):
        t, p = hostile(i)
        info = pub.publish(t, p, qos=1)
        if i % 500 == 499:
            info.wait_for_publish(60)  # keep the publisher's own queue bounded
        if i % 1000 == 0:  # a good message every thousand, with a replayed msg_id now and then
            m = counts_msg("door-h", i // 1000, 2)
            pub.publish(good_topic, encode(m), qos=1)
            if i % 5000 == 0:
                pub.publish(good_topic, encode(m), qos=1)
            good_sent += 1
    pub.publish(good_topic, encode(counts_msg("door-h", 500, 2)), qos=1).wait_for_publish(60)
    good_sent += 1
    pub.loop_stop()
    pub.disconnect()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and ingest.handler.counts["parked"] - before < 100_000:
        time.sleep(1)
    assert ingest.handler.counts["parked"] - before == 100_000
    assert ingest.handler.counts["duplicate"] >= 20
    time.sleep(0.2)
    parked = ingest.state.parked_counts()  # durable, per kind of problem
    assert sum(parked.values()) - sum(before_kinds.values()) == 100_000
    assert {k.split(":")[0] for k in parked} >= {"payload", "seq", "track", "embedding", "ts", "site", "topic"}
    assert dead.wait_for(lambda ms: len(ms) >= 1000, 60)  # and announced on the dead-letter topic
    dead.close()
    assert all(json.loads(p)["reason"] for _, p in dead.messages)
    assert ingest.writer.drain(60)
    rows = ingest.db.query("SELECT sum(\"in\"), count(\"in\") FROM footfall_line WHERE device = 'door-h'")
    assert (rows[0]["sum"], rows[0]["count"]) == (2 * good_sent, good_sent)
