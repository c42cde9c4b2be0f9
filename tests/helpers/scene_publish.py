"""Publish what a scene's edge units sent (recorded once by `footfall-edge replay`: exactly the messages `run`
publishes) to a real broker as the units would: QoS 1, in seq order, each unit's retained status `online` first and
`offline` after its last message (a clean exit). Tests of what lies behind the ingest (API, Grafana queries) use it
instead of running the units again; tests/integration/test_ingest.py keeps the units themselves on the path."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as mqtt

from footfall.protocol import StatusMessage, decode, encode, topic_for


def recorded(events: Path) -> list:
    return [decode(line) for line in events.read_text().splitlines()]


def publish_recorded(port: int, units: dict[str, list], client_id: str = "scene-units") -> int:
    """units: device -> its recorded messages. Returns how many messages were published, statuses included."""
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    sent = 0
    try:
        for device, messages in units.items():
            site = messages[0].site
            status = topic_for(site, device, "status")

            def state(s: str, seq: int) -> bytes:
                return encode(StatusMessage(site=site, device=device, seq=seq, ts=datetime.now(timezone.utc), state=s,
                                            version="test"))

            pub.publish(status, state("online", 0), qos=1, retain=True).wait_for_publish(10)
            sent += 2
            for m in sorted(messages, key=lambda m: m.seq):
                pub.publish(topic_for(m.site, m.device, m.kind), encode(m), qos=1).wait_for_publish(10)
                sent += 1
            pub.publish(status, state("offline", messages[-1].seq), qos=1, retain=True).wait_for_publish(10)
    finally:
        pub.loop_stop()
        pub.disconnect()
    return sent


def publish_messages(port: int, messages: list, client_id: str) -> int:
    """Messages as their units would send them (QoS 1, each acknowledged in turn); returns how many."""
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    try:
        for m in messages:
            pub.publish(topic_for(m.site, m.device, m.kind), encode(m), qos=1).wait_for_publish(10)
    finally:
        pub.loop_stop()
        pub.disconnect()
    return len(messages)
