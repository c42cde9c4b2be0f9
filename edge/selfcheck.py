"""`footfall-edge check`: what the service needs before it may start, verified without touching the camera.

The fleet's install and update playbooks run it as their health check, so a tampered or missing model, a wheel
that does not run on this CPU, an unreadable secret or a certificate that does not match its key fails the
install (and rolls an update back) instead of a unit that restarts forever.
"""
from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import EdgeConfig
from .identify.codes import MIN_SECRET_BYTES


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str


def _site_secret(cfg: EdgeConfig) -> str:
    secret = cfg.read_site_secret()
    if secret is None:
        return "not needed at privacy level counts"
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"site secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed")
    return f"{len(secret)} bytes"


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
    context = ssl.create_default_context(cafile=str(tls.ca))
    if tls.cert is not None:  # raises when the key is not the certificate's
        context.load_cert_chain(str(tls.cert), str(tls.key.path))
        return f"CA {tls.ca}, client certificate {tls.cert} matches its key"
    return f"CA {tls.ca}"


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
    return ", ".join(done) + " verified and run"


CHECKS: list[tuple[str, Callable[[EdgeConfig], str]]] = [
    ("site secret", _site_secret),
    ("camera login", _camera_login),
    ("mqtt tls", _tls),
    ("models", _models),
]


def run_checks(cfg: EdgeConfig) -> list[Result]:
    results = []
    for name, check in CHECKS:
        try:
            results.append(Result(name, True, check(cfg)))
        except Exception as e:  # noqa: BLE001 - every failure is reported by name, none aborts the others
            results.append(Result(name, False, f"{type(e).__name__}: {e}"))
    return results
