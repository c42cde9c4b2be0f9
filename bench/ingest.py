"""Cloud ingest throughput on real servers, with the two raw rates it is bounded by, in one run.

    python bench/ingest.py --messages 20000 --json

- broker: raw QoS 1 publish -> subscribe through mosquitto (paho on both ends);
- database: raw bulk line-protocol writes to influxd (5,000 lines a request) of the points those messages make;
- end to end: counts messages published to mosquitto, ingested (validate, dedupe, spool, write) and in InfluxDB.
Reports messages/s for each and the end-to-end rate over the lower raw rate (goal >= 0.5).
"""
from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import paho.mqtt.client as mqtt

from footfall.cloud.config import CloudConfig
from footfall.cloud.ingest.service import Ingest
from footfall.devserver.services import LocalServices
from footfall.cloud.store.influx import InfluxV1
from footfall.cloud.store.points import points_for
from footfall.protocol import CountsMessage, LineCount, ZoneCount, encode, topic_for

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def messages(n: int) -> list[CountsMessage]:
    out = []
    for i in range(n):
        device = f"door-{i % 50}"
        start = T0 + timedelta(minutes=i // 50)
        out.append(CountsMessage(site="bench", device=device, seq=i // 50, ts=start + timedelta(seconds=60),
                                 interval_start=start, interval_s=60, lines=[LineCount(line="door", **{"in": i % 7}, out=i % 5)],
                                 zones=[ZoneCount(zone="lobby", entries=3, exits=2, occupancy_max=4, occupancy_mean=1.5,
                                                  dwell_s_sum=120.0, dwell_n=2)]))
    return out


def client(port: int, **kw) -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}", **kw)
    c.max_inflight_messages_set(1000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def publish_all(port: int, items: list[tuple[str, bytes]]) -> None:
    pub = client(port)
    for i, (topic, payload) in enumerate(items):
        info = pub.publish(topic, payload, qos=1)
        if i % 500 == 499:
            info.wait_for_publish(60)
    info.wait_for_publish(60)
    pub.loop_stop()
    pub.disconnect()


def broker_rate(port: int, items) -> float:
    done = threading.Event()
    got = [0]

    def on_message(c, u, m):
        got[0] += 1
        if got[0] == len(items):
            done.set()

    sub = client(port)
    sub.on_message = on_message
    sub.subscribe("footfall/v1/#", qos=1)
    time.sleep(0.5)
    start = time.perf_counter()
    publish_all(port, items)
    done.wait(300)
    elapsed = time.perf_counter() - start
    sub.loop_stop()
    sub.disconnect()
    return len(items) / elapsed


def database_rate(url: str, msgs) -> tuple[float, float]:
    db = InfluxV1(url, "bench_raw")
    db.ensure_database()
    lines = [line for m in msgs for line in points_for(m)]
    start = time.perf_counter()
    for i in range(0, len(lines), 5000):
        db.write(lines[i:i + 5000])
    elapsed = time.perf_counter() - start
    return len(msgs) / elapsed, len(lines) / elapsed


def end_to_end_rate(services: LocalServices, state_dir: Path, items) -> float:
    cfg = CloudConfig.model_validate({"mqtt": {"host": "127.0.0.1", "port": services.mosquitto.port, "client_id": "bench-ingest"},
                                      "influx": {"url": services.influxd.url, "database": "bench_e2e"},
                                      "sites": [{"id": "bench", "timezone": "UTC"}], "state_dir": str(state_dir)})
    ing = Ingest(cfg)
    ing.start()
    ing.connected.wait(10)
    time.sleep(0.5)
    start = time.perf_counter()
    publish_all(services.mosquitto.port, items)
    while ing.handler.counts["stored"] < len(items) or ing.state.spool_rows():
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    ing.close()
    return len(items) / elapsed


@click.command()
@click.option("--messages", "n", default=20_000)
@click.option("--json", "as_json", is_flag=True, help="print JSON (the only output format)")
def main(n: int, as_json: bool) -> None:
    msgs = messages(n)
    items = [(topic_for(m.site, m.device, "counts"), encode(m)) for m in msgs]
    with tempfile.TemporaryDirectory() as tmp, LocalServices(Path(tmp) / "services") as services:
        broker = broker_rate(services.mosquitto.port, items)
        db_msgs, db_lines = database_rate(services.influxd.url, msgs)
        e2e = end_to_end_rate(services, Path(tmp) / "state", items)
    lower = min(broker, db_msgs)
    json.dump({"messages": n, "points_per_message": 2, "broker_pub_sub_msgs_per_s": round(broker),
               "influx_bulk_write_msgs_per_s": round(db_msgs), "influx_bulk_write_lines_per_s": round(db_lines),
               "end_to_end_msgs_per_s": round(e2e), "ratio_to_lower_raw_rate": round(e2e / lower, 3)}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
