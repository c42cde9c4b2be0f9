"""Drives the pipeline: frames in, wire messages out. `run` and `replay` share this loop."""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from footfall.edge import __version__
from footfall.edge.capture.frame import Frame
from footfall.edge.capture.monitor import FeedMonitor
from footfall.edge.config import EdgeConfig
from footfall.edge.models import short_hash
from footfall.edge.pipeline import EdgePipeline
from footfall.protocol import HealthMessage

log = logging.getLogger(__name__)


def file_start_ts(video: str | Path) -> float:
    """Wall-clock time of a file's first frame: from the renderer's sidecar VIDEO.json, else the file's mtime."""
    sidecar = Path(str(video) + ".json")
    if sidecar.exists():
        return float(json.loads(sidecar.read_text())["start"])
    return Path(video).stat().st_mtime


class HealthReporter:
    """Health every `interval_s`. `dropped_frames` is the capture's running count of frames the camera delivered
    that the pipeline never processed (skipped while it was behind, or lost to failed reads)."""

    def __init__(self, pipeline: EdgePipeline, interval_s: float, camera_state: Callable[[], str],
                 outbox_stats: Callable[[], tuple[int, int]] = lambda: (0, 0), clock_synced: Callable[[], bool | None] = lambda: None,
                 dropped_frames: Callable[[], int] = lambda: 0):
        self.pipeline = pipeline
        self.interval_s = interval_s
        self.camera_state = camera_state
        self.outbox_stats = outbox_stats
        self.clock_synced = clock_synced
        self.dropped_frames = dropped_frames
        self.started = None  # monotonic time of the first frame: uptime must not follow the wall clock's steps
        self.next_ts = None
        self.frames_at_last = 0
        self.wall_at_last = time.monotonic()
        self.tracking_at_last = pipeline.tracking_totals()

    def due(self, ts: float) -> HealthMessage | None:
        if self.next_ts is None:
            self.next_ts, self.started = ts + self.interval_s, time.monotonic()
        if ts < self.next_ts - self.interval_s:  # the wall clock stepped back: report on, from the new time
            self.next_ts = ts
        if ts < self.next_ts:
            return None
        # after a stall or a step forward: one report now and the next an interval later, not one per interval missed
        self.next_ts = ts + self.interval_s if ts >= self.next_ts + self.interval_s else self.next_ts + self.interval_s
        now = time.monotonic()
        frames = self.pipeline.times.frames
        fps = (frames - self.frames_at_last) / max(now - self.wall_at_last, 1e-6)
        self.frames_at_last, self.wall_at_last = frames, now
        depth, dropped = self.outbox_stats()
        p = self.pipeline
        totals = p.tracking_totals()
        tracking = {k: v - self.tracking_at_last[k] for k, v in totals.items()}
        self.tracking_at_last = totals
        return HealthMessage(**p._envelope(ts), uptime_s=round(now - self.started, 1), fps=round(min(fps, 1000), 2),
                             stage_ms=p.times.mean_ms(), dropped_frames=self.dropped_frames(), outbox_depth=depth,
                             outbox_dropped=dropped, cpu_temp_c=cpu_temperature(), camera=self.camera_state(),
                             models={f.removesuffix(".tflite"): short_hash(f) for f in p.model_files},
                             clock_synced=self.clock_synced(), **tracking)


def cpu_temperature() -> float | None:
    try:
        return round(int(Path("/sys/class/thermal/thermal_zone0/temp").read_text()) / 1000, 1)
    except (OSError, ValueError):
        return None


def drive(pipeline: EdgePipeline, frames: Iterable[Frame], emit: Callable[[object], None], health: HealthReporter,
          monitor: FeedMonitor, stop: threading.Event | None = None, on_frame: Callable[[], None] | None = None) -> int:
    """Run frames through the pipeline until they end or `stop` is set; every message goes to `emit`."""
    last = None
    count = 0
    for frame in frames:
        monitor.update(frame)
        for m in pipeline.process(frame):
            emit(m)
        h = health.due(frame.ts)
        if h is not None:
            emit(h)
        last = frame
        count += 1
        if on_frame:
            on_frame()
        if stop is not None and stop.is_set():
            break
    if last is not None:
        for m in pipeline.close(last):
            emit(m)
    return count


def clock_synced() -> bool | None:
    """NTP sync as systemd sees it (chrony or timesyncd); None where it cannot be told."""
    import shutil
    import subprocess

    if not shutil.which("timedatectl"):
        return None
    try:
        r = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"yes": True, "no": False}.get(r.stdout.strip())


def paced(frames: Iterable[Frame], stop: threading.Event) -> Iterable[Frame]:
    """A file played like a camera: frames at their own rate, stamped with the wall clock."""
    started = time.time()
    first = None
    for f in frames:
        first = f.ts if first is None else first
        due = started + (f.ts - first)
        if stop.wait(max(0.0, due - time.time())):
            return
        yield Frame(f.image, time.time(), f.index, f.source)


def run(cfg: EdgeConfig, fast: bool = False, stop: threading.Event | None = None) -> int:
    """The service: camera -> pipeline -> outbox -> MQTT, until SIGTERM."""
    import signal

    from footfall.edge.capture.reconnect import ReconnectingSource
    from footfall.edge.capture.sources import open_source
    from footfall.edge.publish.mqtt import Publisher
    from footfall.edge.publish.outbox import Outbox
    from footfall.edge.systemd import Notifier
    from footfall.protocol import encode, topic_for

    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    notify = Notifier()
    secret = cfg.read_site_secret()
    stream = cfg.camera.stream_source()  # with the login from its credential: never logged (display_source is)
    outbox = Outbox(cfg.outbox.dir / "outbox.sqlite", cfg.outbox.max_mb)
    pipeline = EdgePipeline(cfg, secret, seq=outbox.next_seq)
    publisher = Publisher(cfg, outbox, __version__)
    publisher.start()
    cam = cfg.camera
    is_file = Path(cam.source).is_file()
    start_ts = file_start_ts(cam.source) if is_file and fast else None

    def idle() -> None:  # no camera: alive for the watchdog (it is for a hung process, not a missing camera)
        notify.watchdog()
        if (m := health.due(time.time())) is not None:
            emit(m)

    source = ReconnectingSource(lambda: open_source(stream, cam.backend, width=cam.width, height=cam.height, fps=cam.fps,
                                                    start_ts=start_ts, name=cam.display_source), stop, on_idle=idle)
    frames = source.frames()
    if is_file and not fast:
        frames = paced(frames, stop)
    from footfall.edge.capture import reference, service_status

    stored = reference.load(cfg.outbox.dir)  # the view commissioned here: a restart must not re-learn a moved one
    if stored is None:
        log.warning("no reference view in %s (footfall-edge commission stores it): the `moved` check learns "
                    "the view of the first minute", cfg.outbox.dir)
    monitor = FeedMonitor(reference=stored.edges if stored else None)
    camera_state = lambda: "lost" if source.state == "lost" else monitor.state  # noqa: E731
    health = HealthReporter(pipeline, cfg.health_interval_s, camera_state,
                            outbox_stats=lambda: (outbox.depth(), outbox.dropped()), clock_synced=clock_synced,
                            dropped_frames=lambda: source.dropped)

    def emit(m) -> None:
        outbox.put(m.seq, topic_for(cfg.site, cfg.device, m.kind), encode(m))
        if m.kind == "health":  # for `footfall-edge check`, which cannot open a camera this process holds
            service_status.write(cfg.outbox.dir, m.fps, m.camera, m.dropped_frames)

    notify.send("READY=1")
    log.info("edge %s/%s running: %s, privacy level %s", cfg.site, cfg.device, cam.display_source, cfg.privacy.level)
    count = drive(pipeline, frames, emit, health, monitor, stop, on_frame=notify.watchdog)
    frames.close()  # the camera (and its reader thread) is released now, not while the outbox flushes
    notify.send("STOPPING=1")
    log.info("stopping after %d frames; flushing %d queued messages", count, outbox.depth())
    publisher.flush(timeout_s=10.0)
    publisher.close()
    outbox.close()
    return count


def replay(cfg: EdgeConfig, source: str, events_out: Path, secret: bytes | None, start_ts: float | None = None,
           progress: bool = True) -> dict:
    from tqdm import tqdm

    from footfall.edge.capture.sources import OpenCvSource
    from footfall.protocol import encode

    src = OpenCvSource(source, fps=cfg.camera.fps, start_ts=file_start_ts(source) if start_ts is None else start_ts)
    pipeline = EdgePipeline(cfg, secret)
    monitor = FeedMonitor()
    health = HealthReporter(pipeline, cfg.health_interval_s, lambda: monitor.state)
    kinds: dict[str, int] = {}
    started = time.perf_counter()
    with open(events_out, "wb") as out, tqdm(total=src.frame_count, unit="frame", disable=not progress,
                                              desc=Path(source).name) as bar:
        def emit(m) -> None:
            out.write(encode(m) + b"\n")
            kinds[m.kind] = kinds.get(m.kind, 0) + 1

        frames = drive(pipeline, src.frames(), emit, health, monitor, on_frame=lambda: bar.update(1))
    src.close()
    elapsed = time.perf_counter() - started
    return {"frames": frames, "seconds": round(elapsed, 2), "fps": round(frames / max(elapsed, 1e-9), 1),
            "messages": kinds, "stage_ms": pipeline.times.mean_ms(),
            "faces_embedded": pipeline.embedder.embedded if pipeline.embedder else 0}
