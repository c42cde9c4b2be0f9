"""`footfall-cloud ingest`: MQTT (QoS 1, persistent session, manual ack) -> validate / dedupe -> spool -> InfluxDB."""
from __future__ import annotations

import logging
import signal
import threading
import time
import zlib

from footfall.cloud.config import CloudConfig
from footfall.cloud.store.influx import InfluxV1
from footfall.cloud.store.writer import Writer
from footfall.protocol import subscription
from footfall.protocol.contract import QOS
from footfall.protocol.mqtt_client import mqtt_client

from .handler import DEAD_LETTER_TOPIC, Handler
from .state import IngestState

log = logging.getLogger(__name__)
GROUP_MAX = 500  # messages per commit
GROUP_WAIT_S = 0.05  # and at most this long before a group is committed and acknowledged


def owner(shard: str):
    """Sites are spread over aggregator instances by a stable hash of the site id."""
    i, n = map(int, shard.split("/"))
    return lambda site: zlib.crc32(site.encode()) % n == i


def subscriptions(cfg: CloudConfig) -> list[tuple[str, int]]:
    """One instance: every site's topics (a site missing from the config is parked with its reason). Several
    (shard i/n): only the topics of the sites this one serves, so no instance reads, parses and drops the others'."""
    if cfg.shard == "0/1":
        return [(subscription(), QOS)]
    mine = owner(cfg.shard)
    return [(subscription(s.id), QOS) for s in cfg.sites if mine(s.id)] or [(subscription(), QOS)]


def influx_from(cfg: CloudConfig) -> InfluxV1:
    i = cfg.influx
    return InfluxV1(i.url, i.database, username=i.username,
                    password=i.password.read().decode() if i.password else None,
                    token=i.token.read().decode() if i.token else None)


class Ingest:
    def __init__(self, cfg: CloudConfig):
        self.cfg = cfg
        self.state = IngestState(cfg.state_dir / "ingest.sqlite", group=True)
        self._unacked: list[tuple[int, int]] = []
        self._group_started = 0.0
        self._ack_lock = threading.Lock()
        self._flusher = threading.Thread(target=self._flush_loop, name="ingest-commit", daemon=True)
        self._stop = threading.Event()
        self.db = influx_from(cfg)
        self.client = mqtt_client(cfg.mqtt, cfg.mqtt.client_id, manual_ack=True)
        self.writer = Writer(self.db, self.state, announce=self._park)  # refused lines go to the dead letters too
        sites = {s.id: s for s in cfg.sites}
        self.forwarder = None
        if any(s.alert_webhooks for s in cfg.sites):
            from footfall.cloud.alerts.webhook import Forwarder

            self.forwarder = Forwarder(sites, cfg.state_dir / "webhooks.sqlite")
        self.handler = Handler(self.state, sites, self._park, owner(cfg.shard),
                               on_alert=self.forwarder.submit if self.forwarder else None)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.reconnect_delay_set(1, 30)
        self.client.max_inflight_messages_set(200)  # dead letters go out while a flood comes in
        self.connected = threading.Event()

    def _park(self, body: bytes) -> None:
        self.client.publish(DEAD_LETTER_TOPIC, body, qos=QOS)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("mqtt: broker refused the connection: %s", reason_code)
            return
        client.subscribe(subscriptions(self.cfg))
        log.info("mqtt: connected (session present: %s)", flags.session_present)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        # ready only once the broker confirmed the subscription: a message published before would not reach us
        if all(not rc.is_failure for rc in reason_codes):
            self.connected.set()
        else:
            log.error("mqtt: subscription refused: %s", reason_codes)

    def _on_message(self, client, userdata, msg) -> None:
        # acknowledged only once durably handled (spooled, duplicate or parked) and committed; on a crash before,
        # the broker redelivers and the dedupe window or the idempotent points absorb it
        with self._ack_lock:
            self.handler.handle(msg.topic, msg.payload)
            if not self._unacked:
                self._group_started = time.monotonic()
            self._unacked.append((msg.mid, msg.qos))
            if len(self._unacked) >= GROUP_MAX:
                self._commit_and_ack()

    def _commit_and_ack(self) -> None:
        self.state.commit()
        for mid, qos in self._unacked:
            self.client.ack(mid, qos)
        self._unacked.clear()

    def _flush_loop(self) -> None:
        while not self._stop.wait(GROUP_WAIT_S / 2):
            with self._ack_lock:
                if self._unacked and time.monotonic() - self._group_started >= GROUP_WAIT_S:
                    self._commit_and_ack()

    def start(self) -> None:
        try:
            self.db.ensure_database()
        except Exception as e:  # the writer retries; ingestion must not wait for the database
            log.warning("influx: cannot create database yet: %s", e)
        self.writer.start()
        self._flusher.start()
        self.client.connect_async(self.cfg.mqtt.host, self.cfg.mqtt.port, keepalive=self.cfg.mqtt.keepalive_s)
        self.client.loop_start()

    def close(self) -> None:
        self.client.loop_stop()
        self._stop.set()
        self._flusher.join(timeout=2)
        with self._ack_lock:
            self.state.commit()  # handled but unacknowledged: durable now, redelivered by the broker anyway
        self.client.disconnect()
        self.writer.drain(10)
        self.writer.close()
        if self.forwarder is not None:
            self.forwarder.drain(5)
        self.state.close()


def run(cfg: CloudConfig) -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    ingest = Ingest(cfg)
    ingest.start()
    while not stop.wait(60):
        log.info("ingest: %s; parked by reason: %s; spool %d batches; %d lines written, refused by reason: %s; "
                 "coded visits too late to link by site/device: %s",
                 dict(ingest.handler.counts), dict(ingest.handler.parked), ingest.state.spool_rows(),
                 ingest.writer.written_lines, dict(ingest.writer.refused),
                 {f"{s}/{d}": n for (s, d), n in ingest.handler.late.items()})
    ingest.close()
