"""`footfall-edge check`: what the service needs to count, each failure on one line naming the config field.

The fleet's install and update playbooks run it as their health check, so a tampered or missing model, a wheel
that does not run on this CPU, an unreadable or example secret, a unit without geometry, a CA without a client
certificate or a certificate that does not match its key fails the install (and rolls an update back) instead of a
unit that restarts forever or runs and counts nothing. The live checks (on unless --offline) read frames from the
camera, compare them with the reference view stored at commissioning, and need a real PUBACK from the broker.
"""
from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from footfall.protocol.configfile import SecretError

from .config import EdgeConfig
from .identify.codes import MIN_SECRET_BYTES
from .probe import ProbeError

# The secrets shipped in examples (ansible/inventories/example's vault): a unit running one makes codes anybody
# with the repository can reproduce.
EXAMPLE_SECRETS = {b"00000000000000000000000000000000example0site0secret0000000000000000"}


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str


def _site_secret(cfg: EdgeConfig) -> str:
    try:
        secret = cfg.read_site_secret()
    except (SecretError, RuntimeError) as e:
        raise ValueError(f"site_secret: {e}") from None
    if secret is None:
        return "not needed at privacy level counts"
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"site_secret: {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed")
    if secret in EXAMPLE_SECRETS or b"example" in secret.lower():
        raise ValueError("site_secret: this is the example secret; make one with `openssl rand -hex 32`")
    return f"{len(secret)} bytes"


def _geometry(cfg: EdgeConfig) -> str:
    """A unit without the geometry its role counts on publishes nothing but health: caught here, not in a month."""
    need = {"entrance": ("lines", cfg.lines), "display": ("displays", cfg.displays)}
    if cfg.role in need:
        field, items = need[cfg.role]
        if not items:
            raise ValueError(f"{field}: a unit of role {cfg.role} needs at least one")
    elif not cfg.lines and not cfg.zones:
        raise ValueError("lines / zones: a unit of role store needs a counting line or a zone")
    return ", ".join(f"{len(v)} {k}" for k, v in (("lines", cfg.lines), ("zones", cfg.zones), ("displays", cfg.displays)) if v)


def _camera_login(cfg: EdgeConfig) -> str:
    """The stream's password credential is readable and not empty (the camera itself is not touched)."""
    cam = cfg.camera
    if cam.username is None:
        return "no login"
    cam.stream_source()  # raises when the credential is missing or empty; the URL it makes is not shown
    return f"user {cam.username}, password from {cam.password!r}" if cam.password else f"user {cam.username}, no password"


def _tls(cfg: EdgeConfig) -> str:
    tls = cfg.mqtt.tls
    if tls is None:
        return "plain MQTT (no tls section)"
    try:
        context = ssl.create_default_context(cafile=str(tls.ca))
    except (OSError, ssl.SSLError) as e:
        raise ValueError(f"mqtt.tls.ca: {tls.ca}: {e}") from None
    if tls.cert is None:  # the fleet's broker refuses clients without one (require_certificate)
        raise ValueError(f"mqtt.tls.cert: a CA is set ({tls.ca}) but no client certificate and key")
    try:
        context.load_cert_chain(str(tls.cert), str(tls.key.path))
    except (OSError, ssl.SSLError) as e:
        raise ValueError(f"mqtt.tls.cert / mqtt.tls.key: {tls.cert} and its key do not load as a pair: {e}") from None
    return f"CA {tls.ca}, client certificate {tls.cert} matches its key"


def _models(cfg: EdgeConfig) -> str:
    """Load every model this config uses (hash-checked) and run each once."""
    from .capture.frame import Frame
    from .detect.blazeface import BlazeFace

    d = cfg.detector
    blank = np.zeros((cfg.camera.height, cfg.camera.width, 3), np.uint8)
    done = []
    if d.person.enabled:  # person mode: NanoDet counts; faces (below) only where codes are made
        from .detect.nanodet import NanoDet

        people = NanoDet(d.person.min_confidence, d.person.threads)
        found = len(people(Frame(blank, 0.0, 0, "check")))
        if found:
            raise ValueError(f"{people.model_file} found {found} people in a blank frame")
        done.append(people.model_file)
    if not d.person.enabled or cfg.privacy.level != "counts":
        detector = BlazeFace(d.model, d.min_confidence, d.min_face_px, d.threads)
        found = len(detector(Frame(blank, 0.0, 0, "check")))
        if found:
            raise ValueError(f"{detector.model_file} found {found} faces in a blank frame")
        done.append(detector.model_file)
    if cfg.privacy.level != "counts":
        from .embed.sface import SFace

        embedder = SFace(cfg.embedder.threads)
        pattern = np.random.default_rng(0).integers(0, 256, (112, 112, 3), dtype=np.uint8)
        vector = embedder(pattern)
        if vector.shape != (SFace.dim,) or not np.isfinite(vector).all():
            raise ValueError(f"{embedder.model_file} returned {vector.shape} with non-finite values")
        from .identify.codes import CENTRE_FILE, embedding_centre

        embedding_centre()
        done += [embedder.model_file, CENTRE_FILE]
    a = cfg.privacy.audience
    if a.age_gender or a.reactions:
        from .audience.check import check_models

        done += check_models(a)
    return ", ".join(done) + " verified and run"


def _frames(cfg: EdgeConfig) -> str:
    """Frames arrive, and show the view stored at commissioning (the `moved` check's reference). While the service
    runs (it holds the camera) its own report says so instead."""
    from .capture import reference, service_status
    from .capture.monitor import FeedMonitor
    from .probe import first_frames

    within = 3 * cfg.health_interval_s
    running = service_status.fresh(cfg.outbox.dir, within)
    if running is None and service_status.service_active():  # just (re)started: it holds the camera already
        running = service_status.await_fresh(cfg.outbox.dir, within, wait_s=cfg.health_interval_s + 10)
        if running is None:
            raise ValueError(f"camera.source {cfg.camera.display_source}: the running service reported no camera "
                             f"state in {cfg.health_interval_s + 10} s (journalctl -u footfall-edge)")
    if running is not None:
        camera, fps = running["camera"], running["fps"]
        if camera == "moved":
            raise ValueError("camera: moved: the running service's view no longer matches the one stored at "
                             f"commissioning ({reference.path_in(cfg.outbox.dir)}); re-aim or commission again")
        if camera != "ok" or fps <= 0:
            raise ValueError(f"camera.source {cfg.camera.display_source}: the running service reports the camera "
                             f"{camera} at {fps:g} fps")
        return f"the running service reads {fps:g} fps, camera ok (view as commissioned, or none stored)"
    frames = first_frames(cfg)
    h, w = frames[0].image.shape[:2]
    got = f"{len(frames)} frames {w}x{h}"
    dark_level = FeedMonitor().dark_level  # the running service's `dark`, judged on the probe's frames at once
    if (level := max(float(f.image.mean()) for f in frames)) < dark_level:
        raise ValueError(f"camera: dark: {got} with a mean grey level of {level:.1f} (below {dark_level:g}); "
                         f"uncover the lens or light the scene")
    stored = reference.load(cfg.outbox.dir)
    if stored is None:
        return f"{got}; no reference view stored yet (footfall-edge commission stores it)"
    monitor = FeedMonitor(reference=stored.edges)
    for f in frames:
        monitor.update(f)
    if monitor.view_similarity < monitor.moved_below:
        raise ValueError(f"camera: moved: the view matches the one stored at commissioning only "
                         f"{monitor.view_similarity:.2f} (below {monitor.moved_below}); re-aim the camera or "
                         f"commission it again ({reference.path_in(cfg.outbox.dir)})")
    return f"{got}; view matches the commissioned one ({monitor.view_similarity:.2f}, {stored.signature})"


def _broker(cfg: EdgeConfig) -> str:
    from .probe import broker_puback

    ack = broker_puback(cfg)
    return f"PUBACK from {cfg.mqtt.host}:{cfg.mqtt.port} for {ack.topic} in {ack.ms:g} ms"


def _recognition(cfg: EdgeConfig) -> str:
    from footfall.edge.recognition.check import gallery_check  # lazily: only units with recognition need it

    return gallery_check(cfg)


CHECKS: list[tuple[str, Callable[[EdgeConfig], str]]] = [
    ("site secret", _site_secret),
    ("geometry", _geometry),
    ("camera login", _camera_login),
    ("mqtt tls", _tls),
    ("models", _models),
    ("recognition", _recognition),
]
LIVE_CHECKS: list[tuple[str, Callable[[EdgeConfig], str]]] = [
    ("camera frames", _frames),
    ("broker", _broker),
]


def run_checks(cfg: EdgeConfig, live: bool = False) -> list[Result]:
    results = []
    for name, check in CHECKS + (LIVE_CHECKS if live else []):
        try:
            results.append(Result(name, True, check(cfg)))
        except Exception as e:  # noqa: BLE001 - every failure is reported by name, none aborts the others
            results.append(Result(name, False, str(e) if isinstance(e, ValueError | ProbeError) else f"{type(e).__name__}: {e}"))
    return results
