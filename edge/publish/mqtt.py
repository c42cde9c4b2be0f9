"""Drains the outbox to the broker (the client and its session, TLS and QoS settings come from protocol/): retained
status with a last will, in-order replay after an outage, a message deleted only after its PUBACK.

One thread owns the paho client and runs its network loop by hand, so every connection failure (refused TLS
certificate included) is logged with its reason instead of disappearing inside paho's background reconnects.
"""
from __future__ import annotations

import logging
import ssl
import threading
import time
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
from tenacity import Retrying, retry_if_exception_type, stop_when_event_set, wait_exponential_jitter

from footfall.edge.config import EdgeConfig
from footfall.protocol import StatusMessage, encode, topic_for
from footfall.protocol.contract import QOS, edge_client_id
from footfall.protocol.mqtt_client import mqtt_client

from .outbox import Outbox

log = logging.getLogger(__name__)
WINDOW = 20  # messages in flight; the broker keeps QoS 1 messages of one client in order


class Publisher:
    def __init__(self, cfg: EdgeConfig, outbox: Outbox, version: str):
        self.cfg = cfg
        self.outbox = outbox
        self.version = version
        self.client = mqtt_client(cfg.mqtt, cfg.mqtt.client_id or edge_client_id(cfg.site, cfg.device))
        self.status_topic = topic_for(cfg.site, cfg.device, "status")
        self.client.will_set(self.status_topic, self._status("offline"), qos=QOS, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_log = self._on_log
        self._last_socket_error = ""
        self._accepted = False  # the broker accepted the current connection's session
        self.connected = threading.Event()
        self.stop = threading.Event()
        self._inflight: dict[int, int] = {}  # mid -> seq
        self._last_sent = -1
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self.wait = wait_exponential_jitter(initial=1, max=30, jitter=1)

    def _status(self, state: str) -> bytes:
        return encode(StatusMessage(site=self.cfg.site, device=self.cfg.device, seq=max(self.outbox.last_seq(), 0),
                                    ts=datetime.now(timezone.utc), state=state, version=self.version))

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("mqtt: broker %s:%d refused the connection: %s", self.cfg.mqtt.host, self.cfg.mqtt.port, reason_code)
            return
        log.info("mqtt: connected to %s:%d (session present: %s)", self.cfg.mqtt.host, self.cfg.mqtt.port, flags.session_present)
        self._inflight.clear()
        self._last_sent = -1  # resend everything not acknowledged, oldest first
        client.publish(self.status_topic, self._status("online"), qos=QOS, retain=True)
        self._accepted = True
        self.connected.set()

    def _on_log(self, client, userdata, level, buf) -> None:
        # paho reports socket and TLS errors (e.g. a refused client certificate under TLS 1.3) only here
        if level in (mqtt.MQTT_LOG_ERR, mqtt.MQTT_LOG_WARNING) and ("SSL" in buf or "socket" in buf):
            self._last_socket_error = buf

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if self.stop.is_set():
            return
        m = self.cfg.mqtt
        was_accepted, self._accepted = self._accepted, False
        why = f"{reason_code} {self._last_socket_error}".strip()
        if m.tls and "ssl" in why.lower():
            # TLS 1.3 checks the client certificate after the handshake: a broker refusing it may just close the
            # socket, and the client sees an EOF instead of the alert
            log.error("mqtt: TLS session with %s:%d failed: %s (%s: check the client certificate tls.cert / tls.key "
                      "and tls.ca)", m.host, m.port, why,
                      "after the session was accepted" if was_accepted else "before the broker accepted the session")
        else:
            log.warning("mqtt: disconnected from %s:%d: %s %s", m.host, m.port, reason_code, self._last_socket_error)
        self._last_socket_error = ""

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        seq = self._inflight.pop(mid, None)
        if seq is not None:
            self.outbox.ack(seq)

    def start(self) -> None:
        self._thread.start()

    def _connect(self) -> bool:
        m = self.cfg.mqtt
        try:
            self.client.connect(m.host, m.port, keepalive=m.keepalive_s)
            return True
        except ssl.SSLError as e:
            log.error("mqtt: TLS handshake with %s:%d failed: %s (check tls.ca / tls.cert / tls.key)", m.host, m.port, e)
        except OSError as e:
            log.warning("mqtt: cannot reach %s:%d: %s", m.host, m.port, e)
        return False

    def _run(self) -> None:
        # connect with backoff until the broker accepts a session; after a session that was accepted ends, start
        # over at once (one second), as the outbox may have piled up meanwhile
        retrying = Retrying(retry=retry_if_exception_type(_NotAccepted), wait=self.wait,
                            stop=stop_when_event_set(self.stop), sleep=self.stop.wait,
                            retry_error_callback=lambda state: None)
        while not self.stop.is_set():
            retrying(self._session)
            self.stop.wait(1.0)

    def _session(self) -> None:
        """Connect and run the network loop until the connection ends; raises _NotAccepted if no session was
        accepted (unreachable, refused, or a refused certificate that shows only after the handshake)."""
        if not self._connect():
            raise _NotAccepted
        accepted = False
        while not self.stop.is_set():
            try:
                rc = self.client.loop(timeout=0.05)
            except ssl.SSLError as e:  # TLS 1.3: a refused client certificate shows up on the first read
                log.error("mqtt: TLS session with %s:%d failed: %s (check tls.cert / tls.key)",
                          self.cfg.mqtt.host, self.cfg.mqtt.port, e)
                rc = mqtt.MQTT_ERR_CONN_LOST
            if rc != mqtt.MQTT_ERR_SUCCESS:
                self.connected.clear()
                break
            if self.connected.is_set():
                accepted = True
                self._drain()
        try:
            self.client.disconnect()
        except Exception:  # already gone
            pass
        if not accepted and not self.stop.is_set():
            raise _NotAccepted

    def _drain(self) -> None:
        room = WINDOW - len(self._inflight)
        if room <= 0:
            return
        for p in self.outbox.oldest(room, after=self._last_sent):
            info = self.client.publish(p.topic, p.payload, qos=QOS, retain=p.retain)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return
            self._inflight[info.mid] = p.seq
            self._last_sent = p.seq

    def flush(self, timeout_s: float) -> bool:
        """Wait until the outbox is empty (True) or the time is up."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.outbox.depth() == 0:
                return True
            time.sleep(0.05)
        return self.outbox.depth() == 0

    def close(self) -> None:
        """Clean shutdown: say offline ourselves (a clean disconnect does not fire the will)."""
        if self.connected.is_set():
            info = self.client.publish(self.status_topic, self._status("offline"), qos=QOS, retain=True)
            deadline = time.monotonic() + 2
            while not info.is_published() and time.monotonic() < deadline:
                time.sleep(0.02)
        self.stop.set()
        self._thread.join(timeout=5)


class _NotAccepted(Exception):
    """No session with the broker this time: back off and try again."""
