"""Several ingest instances (`shard: i/n`) on one broker and one database: each subscribes to its own sites' topics
only, so none receives another's messages, and together they store every message once."""
from __future__ import annotations

import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt
import pytest

from footfall.cloud.config import CloudConfig
from footfall.cloud.ingest.service import Ingest, subscriptions
from footfall.protocol import CountsMessage, LineCount, encode, topic_for

SITES = ["mall-a", "mall-b", "mall-c", "mall-d", "mall-e", "mall-f"]


def config(shard: str, port: int = 1883, url: str = "http://127.0.0.1:1", database: str = "x", state: str = "/tmp/x"):
    return CloudConfig.model_validate({
        "mqtt": {"host": "127.0.0.1", "port": port, "client_id": f"ingest-{database}-{shard.replace('/', 'of')}"},
        "influx": {"url": url, "database": database}, "shard": shard, "state_dir": state,
        "sites": [{"id": s, "timezone": "UTC"} for s in SITES]})


def test_one_instance_reads_every_site_and_shards_only_their_own():
    assert subscriptions(config("0/1")) == [("footfall/v1/+/+/+", 1)]
    topics = [t for i in range(3) for t, _ in subscriptions(config(f"{i}/3"))]
    assert sorted(topics) == sorted(f"footfall/v1/{s}/+/+" for s in SITES)  # each site once, over all shards
    for i in range(3):
        assert all(zlib.crc32(t.split("/")[2].encode()) % 3 == i for t, _ in subscriptions(config(f"{i}/3")))


@pytest.mark.integration
def test_two_instances_split_the_sites_and_store_everything_once(broker, influx, tmp_path):
    shards = [Ingest(config(f"{i}/2", broker.port, influx.url, influx.database, str(tmp_path / str(i)))) for i in range(2)]
    for ing in shards:
        ing.start()
    try:
        assert all(ing.connected.wait(10) for ing in shards)
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:6]}")
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        t0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
        for minute in range(10):
            start = t0 + timedelta(minutes=minute)
            for site in SITES:
                m = CountsMessage(site=site, device="door", seq=minute, ts=start + timedelta(seconds=60),
                                  interval_start=start, interval_s=60, lines=[LineCount(line="door", **{"in": 1}, out=0)])
                pub.publish(topic_for(site, "door", "counts"), encode(m), qos=1).wait_for_publish(10)
        pub.loop_stop()
        pub.disconnect()
        want = [10 * sum(zlib.crc32(s.encode()) % 2 == i for s in SITES) for i in range(2)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and [ing.handler.counts["stored"] for ing in shards] != want:
            time.sleep(0.1)
        assert [ing.handler.counts["stored"] for ing in shards] == want and all(want)
        assert [ing.handler.counts["not_mine"] for ing in shards] == [0, 0]  # never even received
        assert all(ing.writer.drain(30) for ing in shards)
    finally:
        for ing in shards:
            ing.close()
    rows = influx.query('SELECT sum("in") FROM footfall_line GROUP BY site')
    assert {r["site"]: r["sum"] for r in rows} == {s: 10 for s in SITES}
