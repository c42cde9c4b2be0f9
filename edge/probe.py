"""Live probes for `check` and commissioning: do frames arrive, does the broker acknowledge a message?

The broker probe speaks MQTT 5 so the PUBACK carries a reason code: mosquitto acknowledges a publish its ACL
refuses with "Not authorized" instead of silently dropping it as it does under 3.1.1. It uses a client id of its
own with a clean session, so it never takes over the running service's session.
"""
from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass

import numpy as np
import paho.mqtt.client as mqtt

from footfall.protocol.topics import PROBE_KIND

from .capture.frame import Frame
from .config import EdgeConfig


class ProbeError(RuntimeError):
    """A failed probe; the message names the config field to look at."""


def check_topic(cfg: EdgeConfig) -> str:
    return f"footfall/v1/{cfg.site}/{cfg.device}/{PROBE_KIND}"  # below its own prefix: the ACL allows it


@dataclass(frozen=True)
class Ack:
    topic: str
    ms: float  # connect excluded: publish to PUBACK


def broker_puback(cfg: EdgeConfig, timeout_s: float = 10.0) -> Ack:
    """Publish one QoS 1 test message and wait for the broker's PUBACK; raises ProbeError otherwise."""
    m = cfg.mqtt
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{cfg.site}-{cfg.device}-check",
                         protocol=mqtt.MQTTv5)
    if m.tls:
        client.tls_set(ca_certs=str(m.tls.ca), certfile=str(m.tls.cert) if m.tls.cert else None,
                       keyfile=str(m.tls.key.path) if m.tls.key else None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    if m.username:
        client.username_pw_set(m.username, m.password.read().decode() if m.password else None)
    connected, acked = threading.Event(), threading.Event()
    outcome: dict = {}

    def on_connect(c, userdata, flags, reason_code, properties):
        outcome["connect"] = reason_code
        connected.set()

    def on_publish(c, userdata, mid, reason_code, properties):
        outcome["puback"] = reason_code
        acked.set()

    client.on_connect, client.on_publish = on_connect, on_publish
    where = f"mqtt.host/mqtt.port {m.host}:{m.port}"
    try:
        client.connect(m.host, m.port, keepalive=m.keepalive_s)
    except ssl.SSLError as e:
        raise ProbeError(f"mqtt.tls: TLS handshake with {m.host}:{m.port} failed: {e}") from None
    except OSError as e:
        raise ProbeError(f"{where}: cannot reach the broker: {e}") from None
    client.loop_start()
    try:
        if not connected.wait(timeout_s):
            raise ProbeError(f"{where}: no CONNACK within {timeout_s:g} s (mqtt.tls: a refused client certificate "
                             "shows as a closed connection)")
        if outcome["connect"].is_failure:
            raise ProbeError(f"{where}: the broker refused the connection: {outcome['connect']}")
        payload = json.dumps({"check": True, "site": cfg.site, "device": cfg.device, "ts": time.time()}).encode()
        topic = check_topic(cfg)
        started = time.perf_counter()
        client.publish(topic, payload, qos=1)
        if not acked.wait(timeout_s):
            raise ProbeError(f"{where}: no PUBACK for a QoS 1 message to {topic} within {timeout_s:g} s")
        ms = (time.perf_counter() - started) * 1000
        rc = outcome["puback"]
        if rc.is_failure:  # e.g. Not authorized: the broker's ACL does not let this unit publish below its topic
            raise ProbeError(f"{where}: the broker refused the message to {topic}: {rc} (check site and device "
                             "against the client certificate's name)")
        return Ack(topic, round(ms, 1))
    finally:
        client.disconnect()
        client.loop_stop()


def first_frames(cfg: EdgeConfig, count: int = 15, timeout_s: float = 15.0) -> list[Frame]:
    """The camera's first `count` frames (memory only), or ProbeError naming camera.source."""
    from .capture.sources import open_source

    cam = cfg.camera
    frames: list[Frame] = []
    error: list[BaseException] = []
    holder: dict = {}

    def read() -> None:
        try:
            src = holder["src"] = open_source(cam.stream_source(), cam.backend, width=cam.width, height=cam.height,
                                              fps=cam.fps, name=cam.display_source)
            for f in src.frames():
                frames.append(f)
                if len(frames) >= count:
                    break
        except Exception as e:  # noqa: BLE001 - any failure to read is reported by the caller
            error.append(e)

    t = threading.Thread(target=read, daemon=True, name="probe-camera")  # a hung driver must not hang `check`
    t.start()
    t.join(timeout_s)
    if "src" in holder and not t.is_alive():  # a reader still stuck in the driver keeps its source
        holder["src"].close()
    if error:
        raise ProbeError(f"camera.source {cam.display_source}: {error[0]}")
    if len(frames) < count:
        raise ProbeError(f"camera.source {cam.display_source}: {len(frames)} of {count} frames in {timeout_s:g} s")
    if any(f.image.shape[:2] == (0, 0) or not np.any(f.image) for f in frames[-3:]):
        raise ProbeError(f"camera.source {cam.display_source}: the frames are black")
    return frames
