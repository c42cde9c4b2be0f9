"""The commissioning report of one unit (Markdown): what was measured on it, what it runs, how it is reached.

Figures only. No image is put in it: no frame, no face, no snapshot, blurred or not; the reference view is quoted
by its signature (a hash of a 64x36 edge map kept on the unit for the `moved` check).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509

from footfall.edge import __version__
from footfall.edge.capture import reference
from footfall.edge.config import EdgeConfig
from . import record
from .draw import describe_line

NOT_RUN = "not run: {}"


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _expiry(path: Path) -> str:
    cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
    left = cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)
    return f"{cert.not_valid_after_utc:%Y-%m-%d} ({left.days} days left), subject {cert.subject.rfc4514_string()}"


def _models(cfg: EdgeConfig) -> list[tuple[str, str]]:
    from footfall.edge.detect.blazeface import VARIANTS
    from footfall.edge.models import short_hash

    files = []
    if cfg.detector.person.enabled:
        from footfall.edge.detect.nanodet import MODEL_FILE

        files.append(MODEL_FILE)
    if not cfg.detector.person.enabled or cfg.privacy.level != "counts":
        files.append(VARIANTS[cfg.detector.model].filename)
    if cfg.privacy.level != "counts":
        from footfall.edge.embed.sface import MODEL_FILE as SFACE

        files.append(SFACE)
    return [(f, short_hash(f)) for f in files]


def _broker(cfg: EdgeConfig) -> str:
    from footfall.edge.probe import ProbeError, broker_puback

    try:
        ack = broker_puback(cfg)
    except ProbeError as e:
        return f"FAILED: {e}"
    return f"PUBACK (QoS 1) from {cfg.mqtt.host}:{cfg.mqtt.port} for {ack.topic} in {ack.ms:g} ms, {_when(dt.datetime.now().timestamp())}"


def _table(rows: list[tuple[str, str]]) -> list[str]:
    return ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def render(cfg: EdgeConfig) -> str:
    rec = record.load(cfg.outbox.dir)
    session = rec.get("session")
    place = rec.get("placement") or {}
    acc = rec.get("acceptance")
    ref = reference.load(cfg.outbox.dir)
    tls = cfg.mqtt.tls

    out = [f"# Commissioning report: {cfg.site}/{cfg.device}", "",
           f"Role {cfg.role}, footfall-edge {__version__}, camera {cfg.camera.display_source} "
           f"({cfg.camera.width}x{cfg.camera.height} at {cfg.camera.fps:g} fps), privacy level {cfg.privacy.level}. "
           f"Written {_when(dt.datetime.now().timestamp())}.", "",
           "**No image is part of this report**: no frame, face or snapshot, blurred or not. The camera view is "
           "identified only by the reference view signature below.", "", "## Placement", ""]
    needed = (session or {}).get("face_sizes", {}).get("_needed", {})
    rows = [("mounting height", f"{place['height_m']:g} m" if place.get("height_m") else NOT_RUN.format("give --height")),
            ("tilt below horizontal", f"{place['tilt_deg']:g}°" if place.get("tilt_deg") is not None else NOT_RUN.format("give --tilt"))]
    for line in cfg.lines:
        f = (session or {}).get("face_sizes", {}).get(line.id)
        rows.append((f"face height at line {line.id}",
                     f"median {f['median_px']} px (min {f['min_px']}, max {f['max_px']}, {f['faces']} faces)"
                     if f and f.get("faces") else NOT_RUN.format("no face measured at the line (commission page)")))
    if needed:
        rows.append(("needed", f"detector {needed['detector_min_face_px']} px, codes {needed['embedder_min_px']} px "
                               f"(full quality {needed['embedder_full_px']} px)"))
    out += _table(rows) + ["", "## Geometry", ""]
    rows = [(f"line {line.id}", describe_line(line)) for line in cfg.lines]
    rows += [(f"zone {z.id}", ", ".join(f"({x:.3f}, {y:.3f})" for x, y in z.polygon)) for z in cfg.zones]
    rows += [(f"display {d.id}", f"zone {d.zone}") for d in cfg.displays]
    out += _table(rows or [("geometry", "none: this unit counts nothing (footfall-edge check fails)")])
    out += ["", "## Speed (measured while commissioning)", ""]
    if session:
        stages = ", ".join(f"{k} {v:g} ms" for k, v in session["stage_ms"].items())
        out += _table([("frames", str(session["frames"])), ("fps", f"{session['fps']:g}"), ("stage times (mean)", stages)])
    else:
        out += _table([("fps and stage times", NOT_RUN.format("footfall-edge commission"))])
    out += ["", "## Models", ""] + _table([(f, f"sha256 {h}…") for f, h in _models(cfg)])
    out += ["", "## Broker", ""]
    rows = [("reachability", _broker(cfg))]
    if tls:
        rows.append(("CA certificate expires", _expiry(tls.ca)))
        rows.append(("client certificate expires", _expiry(tls.cert) if tls.cert else "FAILED: no client certificate (mqtt.tls.cert)"))
    else:
        rows.append(("certificates", "none: plain MQTT without TLS (a lab only; mqtt.tls)"))
    out += _table(rows) + ["", "## Acceptance test", ""]
    if acc:
        verdict = "passed" if acc["passed"] else "FAILED" + (" (line reversed: swap a and b)" if acc["reversed"] else "")
        out += _table([("crossings counted", str(acc["crossings"])),
                       ("unit", f"in {acc['unit_in']}, out {acc['unit_out']}"),
                       ("installer's tally", f"in {acc['true_in']}, out {acc['true_out']}"),
                       ("agreement", f"{acc['agreement']:.0%}: {verdict}"), ("when", _when(acc["at"]))])
    else:
        out += _table([("acceptance", NOT_RUN.format("footfall-edge commission --acceptance N"))])
    out += ["", "## Reference view", ""]
    out += _table([("signature", f"{ref.signature}, stored {_when(ref.created)} in {reference.path_in(cfg.outbox.dir)}")
                   if ref else ("signature", NOT_RUN.format("no reference view stored (commission page)"))])
    return "\n".join(out) + "\n"
