"""Fault benchmark (issue 11): a rendered scene streamed through the real path while, in turn, each fault happens.

    python -m footfall.bench.faults --json [--outage-s 600] [--scene DIR] [--out FILE] [--only broker_outage,...]

The real path: local mosquitto and influxd (footfall.devserver), one `footfall-edge run` subprocess playing a
rendered entrance video like a camera (paced: frames at their own rate, stamped with the wall clock; the scene's
clip is looped as long as a fault needs the stream to go on), `footfall-cloud ingest` as a subprocess (so it can be
killed), InfluxDB read back with InfluxQL. A recorder subscribed to the site with a persistent QoS 1 session keeps
every message the edge published; the edge's own outbox (seq numbers, what is left, what it dropped) and the
ingest's state (dedupe window, spool, parked messages) are read from their SQLite files.

Faults, each an independent function taking a `Rig` (servers, scene, work dir, database), so tests run short
versions of the same code:

- `broker_outage`: mosquitto stopped for `outage_s` while the edge streams;
- `influx_outage`: influxd stopped for `outage_s` while the edge streams and the ingest receives;
- `edge_kill`: the edge unit SIGKILLed mid-stream, restarted after systemd's RestartSec on the camera's later
  frames (the frames while it was down are never seen, as with a camera);
- `ingest_kill`: the ingest SIGKILLed the moment a visit reaches the broker (mid-handling), restarted after RestartSec;
- `outbox_budget`: the edge's outbox budget (`outbox.max_mb`) exceeded during a broker outage: every drop must be
  counted exactly (missing seq numbers = the outbox's count = the last health `outbox_dropped`);
- `clock_jump`: the device clock steps (forward 1 h and back, or back 5 min) while the edge streams: the edge runs
  under libfaketime (Debian `faketime`) with its offset file rewritten mid-run, monotonic time left alone as NTP
  leaves it.

Each fault reports the messages the edge committed (its seq numbers), what reached InfluxDB, what was lost,
overwritten or counted twice (InfluxDB's points compared one by one with the points the cloud makes of every
message the edge published, deduplicated by msg_id), the events (line crossings, visits) against the scene's
ground truth for the frames the edge saw, and the recovery time: from the fault's end until everything the edge had
committed before it is handled by the ingest and the spool is drained into InfluxDB.
"""
from __future__ import annotations

import dataclasses
import glob
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import click
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_FACES = ROOT / "tests" / "fixtures" / "faces"
SITE_SECRET = "5f" * 32  # fixed: the same codes, so the same linking, on every run
DEVICE = "entrance"
INTERVAL_S = 10  # the edge's counts interval (the smallest it allows): more messages, finer checks
HEALTH_S = 5
RESTART_S = 5.0  # deploy/systemd: RestartSec=5 for both services
MSG_ID = re.compile(rb'"msg_id"\s*:\s*"([0-9a-f]{32})"')


def bin_of(name: str) -> str:
    return str(Path(sys.executable).parent / name)


# ---------------------------------------------------------------------------------------------------------- scene


@dataclasses.dataclass
class Scene:
    """A rendered scene (footfall.bench.render) and one device's clip, looped into streams of any length."""

    dir: Path
    device: str = DEVICE
    cache: Path | None = None  # where looped streams are kept (default: DIR/streams)

    def __post_init__(self) -> None:
        self.dir = Path(self.dir).resolve()
        self.cache = Path(self.cache or self.dir / "streams")
        self.truth = json.loads((self.dir / "truth.json").read_text())
        meta = json.loads((self.dir / f"{self.device}.mp4.json").read_text())
        self.fps = float(meta["fps"])
        self.frames = int(meta["frames"])
        self.start = float(meta["start"])
        self.site = self.truth["spec"]["site"]
        self.timezone = self.truth["spec"]["timezone"]

    @property
    def clip(self) -> Path:
        return self.dir / f"{self.device}.mp4"

    @property
    def clip_s(self) -> float:
        return self.frames / self.fps

    def crossings(self, direction: str = "in") -> list[tuple[int, str]]:
        """(frame in the clip, visitor) of every crossing of the device's lines in that direction."""
        out = []
        for c in self.truth["devices"][self.device]["crossings"]:
            if c["direction"] == direction:
                out.append((int(round((c["t"] - self.start) * self.fps)), c["visitor"]))
        return out

    def truth_in(self, spans: list[tuple[int, int]]) -> dict:
        """Ground truth for the stream frames [a, b) of each span: `in` crossings and visitors (once, twice or more)."""
        n, per_visitor = 0, Counter()
        for a, b in spans:
            for loop in range(a // self.frames, (b - 1) // self.frames + 1 if b > a else 0):
                for frame, visitor in self.crossings("in"):
                    if a <= loop * self.frames + frame < b:
                        n += 1
                        per_visitor[visitor] += 1
        return {"in": n, "visitors": len(per_visitor), "returning": sum(1 for k in per_visitor.values() if k >= 2)}

    def stream(self, first: int, count: int) -> Path:
        """A video of stream frames [first, first + count): the clip looped (made once, kept in the cache dir)."""
        if first == 0 and count == self.frames:
            return self.clip
        path = self.cache / f"{self.device}-{first}-{count}.mp4"
        if path.exists():
            return path
        import cv2

        self.cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.part.mp4")
        cap = cv2.VideoCapture(str(self.clip))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        out = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
        pos = 0  # next frame cap.read() gives, in the clip
        for g in range(first, first + count):
            want = g % self.frames
            if want < pos:
                cap.release()
                cap = cv2.VideoCapture(str(self.clip))
                pos = 0
            while pos <= want:
                ok, image = cap.read()
                if not ok:
                    raise RuntimeError(f"{self.clip}: frame {pos} unreadable")
                pos += 1
            out.write(image)
        cap.release()
        out.release()
        tmp.rename(path)
        return path


def render_default_scene(out: Path, duration_s: float = 60.0) -> Path:
    """Four visitors from the committed fixture faces, every one back for a second trip, at the entrance only."""
    from footfall.bench.render import render_scene
    from footfall.bench.render.spec import SceneSpec

    if (out / "truth.json").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    (out / "site.secret").write_text(SITE_SECRET)
    spec = SceneSpec(seed=7, visitors=4, duration_s=duration_s, return_fraction=1.0, walk_s=(3.0, 4.0),
                     devices=[DEVICE])
    render_scene(spec, FIXTURE_FACES, out)
    return out


# ------------------------------------------------------------------------------------------------- observation


class Recorder:
    """A persistent-session QoS 1 subscriber to the site: every raw message with its arrival (monotonic) time."""

    def __init__(self, port: int, topic: str):
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, bytes, float]] = []
        self.lock = threading.Lock()
        self.hooks: list[Callable[[str, bytes], None]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"faults-rec-{uuid.uuid4().hex[:8]}",
                                  clean_session=False)
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.reconnect_delay_set(0.2, 1.0)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise RuntimeError("the recorder could not subscribe")

    def _on_message(self, client, userdata, msg) -> None:
        for hook in list(self.hooks):
            hook(msg.topic, msg.payload)
        with self.lock:
            self.messages.append((msg.topic, msg.payload, time.monotonic()))

    def data(self) -> dict:
        """Non-status messages, parsed and deduplicated by msg_id: msg_id -> (message, first arrival)."""
        from footfall.protocol import parse_message

        with self.lock:
            raw = list(self.messages)
        out: dict = {}
        for topic, payload, at in raw:
            if topic.endswith("/status"):
                continue
            m = parse_message(topic, payload)
            out.setdefault(m.msg_id, (m, at))
        return out

    def deliveries(self) -> int:
        with self.lock:
            return sum(1 for t, _, _ in self.messages if not t.endswith("/status"))

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.execute("PRAGMA busy_timeout=10000")
    return db


def read_outbox(state: Path) -> dict:
    """The edge's outbox file: what is still queued (seq -> msg_id), the next seq and the drops it counted."""
    path = state / "outbox.sqlite"
    if not path.exists():
        return {"queued": {}, "next_seq": 0, "dropped": 0}
    db = _db(path)
    try:
        queued = {}
        for seq, payload in db.execute("SELECT seq, payload FROM outbox ORDER BY seq"):
            m = MSG_ID.search(bytes(payload))
            queued[seq] = m.group(1).decode() if m else None
        meta = dict(db.execute("SELECT key, value FROM meta"))
    finally:
        db.close()
    return {"queued": queued, "next_seq": meta.get("next_seq", 0), "dropped": meta.get("dropped", 0)}


class IngestState:
    """The ingest's SQLite state, read from outside the process (committed rows only)."""

    def __init__(self, path: Path):
        self.path = path

    def _q(self, sql: str, args=()) -> list:
        if not self.path.exists():
            return []
        db = _db(self.path)
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as e:  # tables not made yet
            if "no such table" in str(e):
                return []
            raise
        finally:
            db.close()

    def seen(self) -> set[str]:
        return {r[0] for r in self._q("SELECT msg_id FROM seen")}

    def spool_rows(self) -> int:
        r = self._q("SELECT count(*) FROM spool")
        return r[0][0] if r else 0

    def parked(self) -> tuple[dict[str, str], dict[str, int]]:
        """msg_id -> reason of the parked messages (from their first bytes), and the counts per kind."""
        ids = {}
        for reason, head in self._q("SELECT reason, head FROM parked"):
            m = MSG_ID.search(head.encode())
            if m:
                ids[m.group(1).decode()] = reason
        return ids, dict(self._q("SELECT kind, n FROM parked_counts"))


# ---------------------------------------------------------------------------------------------------- processes


def faketime_library() -> str | None:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") +
                   glob.glob("/usr/lib/faketime/libfaketimeMT.so.1"))
    return found[0] if found else None


def ensure_faketime() -> str:
    """libfaketime from Debian's `faketime` package (apt-get, via sudo when not root, when missing)."""
    lib = faketime_library()
    if lib:
        return lib
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "faketime"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:  # no package lists yet
        subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True)
    lib = faketime_library()
    if lib is None:
        raise RuntimeError("libfaketime is missing and could not be installed (apt-get install faketime)")
    return lib


# `footfall-edge run` with two differences, used under faketime only. The file is paced on the monotonic clock (as
# a camera delivers frames at its own rate whatever the wall clock says) and frames are stamped with the wall clock,
# as every live capture backend does: the edge's own `paced` waits on the wall clock, so a clock step would make the
# file race ahead or stall for the size of the step, which no camera does. And time.sleep waits on a threading
# event: under libfaketime 0.9.10 Python's time.sleep fails with EINVAL (its clock_nanosleep wrapper), whatever the
# offset, while timed waits on locks and events work.
EDGE_WITH_CAMERA_PACING = r"""
import dataclasses, sys, threading, time
import footfall.edge.app as app

_never = threading.Event()
time.sleep = lambda seconds: _never.wait(max(0.0, seconds)) and None

def paced(frames, stop):
    started, first = time.monotonic(), None
    for f in frames:
        first = f.ts if first is None else first
        if stop.wait(max(0.0, started + (f.ts - first) - time.monotonic())):
            return
        yield dataclasses.replace(f, ts=time.time())

app.paced = paced
from footfall.edge.__main__ import main
main(["run", "--config", sys.argv[1]])
"""


class EdgeUnit:
    """`footfall-edge run` processes of one device (a restart keeps the outbox), each on its own video."""

    def __init__(self, work: Path, scene: Scene, port: int, max_mb: int = 256):
        self.work = work
        self.scene = scene
        self.port = port
        self.max_mb = max_mb
        self.state = work / "edge-state"
        self.proc: subprocess.Popen | None = None
        self.runs: list[dict] = []
        self.faketime_file: Path | None = None

    def config(self, source: Path, n: int) -> Path:
        cfg = yaml.safe_load((self.scene.dir / f"{self.scene.device}.yaml").read_text())
        cfg["camera"]["source"] = str(source)
        cfg["site_secret"] = {"file": str(self.scene.dir / "site.secret")}
        cfg["mqtt"] = {"host": "127.0.0.1", "port": self.port}
        cfg["outbox"] = {"dir": str(self.state), "max_mb": self.max_mb}
        cfg["interval_s"] = INTERVAL_S
        cfg["health_interval_s"] = HEALTH_S
        path = self.work / f"edge-{n}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        return path

    def start(self, first: int, count: int, paced: bool = True, faketime: bool = False) -> None:
        """Play stream frames [first, first + count) (paced like a camera, or --fast on the file's own clock)."""
        video = self.scene.stream(first, count)
        if not paced:  # --fast stamps frames from the file's sidecar start: now, as if recorded just before
            video = self._with_sidecar(video, time.time() - count / self.scene.fps)
        n = len(self.runs)
        seq0 = self.outbox()["next_seq"]  # this run's messages are numbered from here
        config = self.config(video, n)
        log = open(self.work / f"edge-{n}.log", "ab")
        env = dict(os.environ)
        if faketime:
            self.faketime_file = self.work / "faketime.rc"
            if not self.faketime_file.exists():
                self.faketime_file.write_text("+0\n")
            env.update(LD_PRELOAD=ensure_faketime(), FAKETIME_TIMESTAMP_FILE=str(self.faketime_file),
                       FAKETIME_CACHE_DURATION="0", FAKETIME_DONT_FAKE_MONOTONIC="1")
            argv = [sys.executable, "-c", EDGE_WITH_CAMERA_PACING, str(config)]
        else:
            argv = [bin_of("footfall-edge"), "run", "--config", str(config)] + ([] if paced else ["--fast"])
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        self.runs.append({"first": first, "count": count, "seq0": seq0, "exit": None})

    def _with_sidecar(self, video: Path, start: float) -> Path:
        self.scene.cache.mkdir(parents=True, exist_ok=True)
        link = self.scene.cache / f"{video.stem}-fast-{uuid.uuid4().hex[:6]}.mp4"
        try:
            os.link(video, link)
        except OSError:
            import shutil

            shutil.copy(video, link)
        Path(str(link) + ".json").write_text(json.dumps({"start": start, "fps": self.scene.fps}))
        return link

    def set_clock(self, offset: str) -> None:
        assert self.faketime_file is not None, "started without faketime"
        self.faketime_file.write_text(offset + "\n")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.runs[-1]["exit"] = self.proc.returncode

    def wait(self, timeout: float) -> int | None:
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.runs[-1]["exit"] = rc
        return rc

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.runs[-1]["exit"] = self.proc.returncode

    def outbox(self) -> dict:
        return read_outbox(self.state)

    def log_tail(self, n: int = 3000) -> str:
        return "".join((self.work / f"edge-{i}.log").read_text(errors="replace") for i in range(len(self.runs)))[-n:]


class IngestUnit:
    """`footfall-cloud ingest` as a subprocess (so that it can be SIGKILLed), with its config and state in `work`."""

    def __init__(self, work: Path, scene: Scene, port: int, influx_url: str, database: str):
        from footfall.cloud.config import CloudConfig

        self.work = work
        cfg = {"mqtt": {"host": "127.0.0.1", "port": port, "client_id": f"faults-ingest-{uuid.uuid4().hex[:6]}"},
               "influx": {"url": influx_url, "database": database},
               "sites": [{"id": scene.site, "timezone": scene.timezone, "entrances": [DEVICE]}],
               "state_dir": str(work / "cloud-state")}
        CloudConfig.model_validate(cfg)
        self.config = work / "cloud.yaml"
        self.config.write_text(yaml.safe_dump(cfg))
        self.state = IngestState(work / "cloud-state" / "ingest.sqlite")
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.log = work / "ingest.log"

    def start(self, timeout: float = 30) -> None:
        before = self.log.read_text(errors="replace").count("connected") if self.log.exists() else 0
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([bin_of("footfall-cloud"), "ingest", "--config", str(self.config)],
                                     stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # ready once it says it is connected (and subscribed right after)
            if self.log.read_text(errors="replace").count("connected") > before:
                time.sleep(0.3)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"the ingest exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"the ingest did not connect: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ------------------------------------------------------------------------------------------------------ the rig


@dataclasses.dataclass
class Rig:
    """What one fault runs on: the servers (objects with stop() / start() on the same port: footfall.devserver's
    Mosquitto and Influxd, or the test fixtures), the scene, a work directory and an InfluxDB database name."""

    mosquitto: object
    influxd: object
    scene: Scene
    work: Path
    database: str
    reference: bool = False  # also replay the frames each run saw without any fault (footfall-edge replay)


class Trial:
    """One fault's run: recorder, ingest and edge up, timings, and the accounting at the end."""

    def __init__(self, rig: Rig, name: str, max_mb: int = 256):
        self.rig = rig
        self.name = name
        self.work = rig.work / name
        self.work.mkdir(parents=True, exist_ok=True)
        self.marks: dict[str, float] = {}
        self.notes: list[str] = []
        self.started = time.monotonic()
        self.recorder = Recorder(rig.mosquitto.port, f"footfall/v1/{rig.scene.site}/#")
        self.ingest = IngestUnit(self.work, rig.scene, rig.mosquitto.port, rig.influxd.url, rig.database)
        self.edge = EdgeUnit(self.work, rig.scene, rig.mosquitto.port, max_mb)

    def __enter__(self) -> "Trial":
        return self

    def __exit__(self, *exc) -> None:
        self.edge.stop()
        self.ingest.stop()
        self.recorder.close()
        for s in (self.rig.mosquitto, self.rig.influxd):
            if not s.running:
                s.start()

    def mark(self, what: str) -> float:
        self.marks[what] = time.monotonic()
        return self.marks[what]

    # ---- waiting on events

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str, poll: float = 0.1) -> float:
        """Seconds it took; raises if it never happened."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if predicate():
                return time.monotonic() - t0
            time.sleep(poll)
        raise TimeoutError(f"{self.name}: {what} did not happen within {timeout:.0f} s\n"
                           f"edge log: {self.edge.log_tail()}")

    def wait_stored(self, n: int, timeout: float = 90) -> None:
        """Data flows end to end: at least n of the edge's data messages (not its status) handled by the ingest."""
        self.wait_until(lambda: len(set(self.recorder.data()) & self.ingest.state.seen()) >= n, timeout,
                        f"{n} messages stored")

    def first_frame_time(self, timeout: float = 60) -> float:
        """Wall time (this process's clock: the edge's may be faked) of the current run's first frame, from its first
        health message: it left the unit uptime_s after that frame (plus a few ms through the outbox and broker)."""
        run = self.edge.runs[-1]
        if run.get("t_first") is None:
            seq0 = run["seq0"]

            def health():
                return [(m, at) for m, at in self.recorder.data().values() if m.kind == "health" and m.seq >= seq0]

            self.wait_until(lambda: bool(health()), timeout, "a first health message")
            h, at = min(health(), key=lambda x: x[0].seq)
            run["t_first"] = time.time() - (time.monotonic() - at) - h.uptime_s
        return run["t_first"]

    def wait_frame(self, frame: int) -> None:
        """Until the paced edge (its current run started at stream frame `first`) shows stream frame `frame`."""
        run = self.edge.runs[-1]
        due = self.first_frame_time() + (frame - run["first"]) / self.rig.scene.fps
        time.sleep(max(0.0, due - time.time()))

    def current_frame(self) -> int:
        run = self.edge.runs[-1]
        return run["first"] + int((time.time() - self.first_frame_time()) * self.rig.scene.fps)

    def committed_ids(self) -> set[str]:
        """msg_ids the edge has committed so far: delivered to the broker, or in its outbox."""
        return set(self.recorder.data()) | {i for i in self.edge.outbox()["queued"].values() if i}

    def recovery(self, ids: set[str], timeout: float = 300, drops: bool = False) -> float | None:
        """Seconds from now until every message of `ids` is handled by the ingest and its spool is drained. With
        `drops`, a message that left the outbox without reaching the broker (dropped over budget) is not waited for."""
        state = self.ingest.state

        def done() -> bool:
            pending = ids - state.seen() - set(state.parked()[0])
            if drops and pending:
                pending &= set(self.edge.outbox()["queued"].values()) | set(self.recorder.data())
            return not pending and state.spool_rows() == 0

        try:
            return round(self.wait_until(done, timeout, "recovery", poll=0.1), 2)
        except TimeoutError:
            self.notes.append(f"not recovered within {timeout:.0f} s")
            return None

    def finish(self, timeout: float, drops: bool = False) -> None:
        """The stream ends: the edge flushes and exits; the ingest handles everything and drains its spool."""
        rc = self.edge.wait(timeout)
        if rc is None:
            self.notes.append("the edge did not exit at the end of its stream; stopped with SIGTERM")
            self.edge.stop()
        elif rc != 0:
            self.notes.append(f"the edge exited with {rc}: {_last_error(self.edge.log_tail(4000))}")
        self.recovery(set(self.recorder.data()), timeout=180, drops=drops)
        self.ingest.stop()

    # ---- accounting

    def report(self, spans: list[tuple[int, int]], recovery_s: float | None, **extra) -> dict:
        return dict(fault=self.name, **account(self, spans), recovery_s=recovery_s, **extra,
                    wall_s=round(time.monotonic() - self.started, 1), notes=self.notes)


def _lp_split(line: str) -> list[str]:
    """Line protocol -> [measurement+tags, fields, time] (spaces inside quoted strings and escapes respected)."""
    parts, cur, quoted, esc = [], [], False, False
    for ch in line:
        if esc:
            cur.append(ch)
            esc = False
        elif ch == "\\":
            cur.append(ch)
            esc = True
        elif ch == '"':
            cur.append(ch)
            quoted = not quoted
        elif ch == " " and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _lp_value(v: str):
    if v.startswith('"'):
        return v[1:-1].replace('\\"', '"')
    if v in ("t", "T", "true", "True", "TRUE"):
        return True
    if v in ("f", "F", "false", "False", "FALSE"):
        return False
    if v.endswith("i") or v.endswith("u"):
        return int(v[:-1])
    return float(v)


def parse_point(line: str) -> tuple[tuple, dict]:
    """((measurement, tags..., time ns), fields) of one line-protocol point."""
    head, fields, ts = _lp_split(line)
    measurement, *tags = re.split(r"(?<!\\),", head)
    f = {}
    for kv in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', fields):
        k, _, v = kv.partition("=")
        f[k.replace("\\", "")] = _lp_value(v)
    return (measurement, tuple(sorted(t.replace("\\", "") for t in tags)), int(ts)), f


def influx_points(url: str, database: str, measurements: set[str], site: str, device: str) -> dict[tuple, dict]:
    """Every point of the device in those measurements: (measurement, tags, time ns) -> fields."""
    import requests

    out = {}
    for m in sorted(measurements):
        keys = requests.get(f"{url}/query", params={"db": database, "q": f'SHOW TAG KEYS FROM "{m}"'},
                            timeout=30).json()
        tag_keys = {v[0] for r in keys.get("results", []) for s in r.get("series", []) for v in s["values"]}
        q = f"SELECT * FROM \"{m}\" WHERE site = '{site}' AND device = '{device}'"
        r = requests.get(f"{url}/query", params={"db": database, "q": q, "epoch": "ns"}, timeout=60).json()
        for res in r.get("results", []):
            for s in res.get("series", []):
                cols = s["columns"]
                for values in s["values"]:
                    row = dict(zip(cols, values))
                    tags = tuple(sorted(f"{k}={row[k]}" for k in tag_keys if row.get(k) is not None))
                    fields = {k: v for k, v in row.items() if k not in tag_keys and k != "time" and v is not None}
                    out[(m, tags, int(row["time"]))] = fields
    return out


def _same(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k, v in a.items():
        w = b[k]
        if isinstance(v, (int, float)) and not isinstance(v, bool) and isinstance(w, (int, float)):
            if abs(v - w) > 1e-6 * max(1.0, abs(v)):
                return False
        elif v != w:
            return False
    return True


def influx_sum(url: str, database: str, q: str) -> dict:
    import requests

    r = requests.get(f"{url}/query", params={"db": database, "q": q}, timeout=30).json()
    for res in r.get("results", []):
        for s in res.get("series", []):
            return dict(zip(s["columns"], s["values"][0]))
    return {}


def reference(scene: Scene, spans: list[tuple[int, int]], work: Path) -> dict:
    """What the edge pipeline makes of the same frames with nothing failing: `footfall-edge replay` of each span
    (a span's open interval and live tracks are flushed at its end). Cached in the scene's stream directory."""
    total = {"in": 0, "visits": 0}
    scene.cache.mkdir(parents=True, exist_ok=True)
    for a, b in spans:
        cache = scene.cache / f"reference-{scene.device}-{a}-{b - a}.json"
        if not cache.exists():
            video = scene.stream(a, b - a)
            cfg = yaml.safe_load((scene.dir / f"{scene.device}.yaml").read_text())
            cfg["camera"]["source"] = str(video)
            cfg["site_secret"] = {"file": str(scene.dir / "site.secret")}
            cfg["interval_s"], cfg["health_interval_s"] = INTERVAL_S, HEALTH_S
            path = work / f"reference-{a}-{b}.yaml"
            path.write_text(yaml.safe_dump(cfg))
            events = work / f"reference-{a}-{b}.jsonl"
            subprocess.run(["nice", "-n", "10", bin_of("footfall-edge"), "replay", "--config", str(path),
                            "--source", str(video), "--events-out", str(events), "--no-progress"],
                           check=True, capture_output=True)
            msgs = [json.loads(line) for line in events.read_text().splitlines()]
            got = {"in": sum(l["in"] for m in msgs if m["kind"] == "counts" for l in m.get("lines", [])),
                   "visits": sum(1 for m in msgs if m["kind"] == "visits")}
            cache.write_text(json.dumps(got))
        got = json.loads(cache.read_text())
        total["in"] += got["in"]
        total["visits"] += got["visits"]
    return total


def account(trial: Trial, spans: list[tuple[int, int]]) -> dict:
    """Everything the edge committed against what is in InfluxDB, point by point, and against the scene's truth."""
    from footfall.cloud.ingest.handler import MAX_FUTURE_S
    from footfall.cloud.store.points import points_for

    rig, scene = trial.rig, trial.rig.scene
    published = trial.recorder.data()
    msgs = sorted((m for m, _ in published.values()), key=lambda m: m.seq)
    outbox = trial.edge.outbox()
    parked, parked_kinds = trial.ingest.state.parked()
    by_seq = defaultdict(set)
    for m in msgs:
        by_seq[m.seq].add(m.msg_id)
    committed = set(by_seq) | set(outbox["queued"])
    top = max(committed | {outbox["next_seq"] - 1}, default=-1)
    missing_seqs = sorted(set(range(top + 1)) - committed)

    # the points the cloud makes of every published message (counts, visits, health: not the linker's aggregates)
    expected: dict[tuple, tuple[str, dict]] = {}
    overwritten: set[str] = set()
    # a message from a clock ahead is re-stamped by the ingest by its arrival (docs/protocol.md): its points are
    # expected moved back by how far its ts was ahead of the recorder's arrival, to within a few seconds
    wall = time.time() - time.monotonic()
    shifts = {m.msg_id: m.ts.timestamp() - (wall + at) for m, at in published.values()}
    shifts = {i: ahead for i, ahead in shifts.items() if ahead > MAX_FUTURE_S}
    moved = []
    for m in msgs:
        if m.msg_id in parked:
            continue
        if m.msg_id in shifts:
            moved += [(*parse_point(line), m.msg_id) for line in points_for(m)]
            continue
        for line in points_for(m):
            key, fields = parse_point(line)
            if key in expected and expected[key][0] != m.msg_id and not _same(expected[key][1], fields):
                overwritten.add(expected[key][0])  # a later message rewrites the same point: the earlier is lost
            expected[key] = (m.msg_id, fields)
    measurements = {k[0] for k in expected} | {"footfall_line", "footfall_visits", "footfall_health"}
    stored = influx_points(rig.influxd.url, rig.database, measurements, scene.site, scene.device)
    missing_ids, differing_ids = set(), set()
    for key, (mid, fields) in expected.items():
        if key not in stored:
            missing_ids.add(mid)
        elif not _same(fields, stored[key]):
            differing_ids.add(mid)
    matched = set()
    for key, fields, mid in moved:
        target = key[2] - shifts[mid] * 1e9
        found = [k for k in stored if k[:2] == key[:2] and abs(k[2] - target) <= 3e9 and k not in matched
                 and _same(fields, stored[k])]
        if found:
            matched.add(found[0])
        else:
            missing_ids.add(mid)
    unexpected = [k for k in stored if k not in expected and k not in matched]
    lost_ids = missing_ids | differing_ids | overwritten

    kinds = Counter(m.kind for m in msgs)
    skipped, last = 0, 0  # frames the unit skipped while behind (health's running count, per process)
    for h in (m for m in msgs if m.kind == "health"):
        skipped += h.dropped_frames - last if h.dropped_frames >= last else h.dropped_frames
        last = h.dropped_frames
    sent_in = sum(l.in_ for m in msgs if m.kind == "counts" for l in m.lines)
    sent_visits = sum(1 for m in msgs if m.kind == "visits")
    ok = [m for m in msgs if m.msg_id not in parked]
    stored_in = sum(l.in_ for m in ok if m.kind == "counts" for l in m.lines)
    where = f"site = '{scene.site}' AND device = '{scene.device}'"
    db_in = influx_sum(rig.influxd.url, rig.database, f'SELECT sum("in") FROM footfall_line WHERE {where}')
    db_visits = influx_sum(rig.influxd.url, rig.database, f"SELECT count(visits) FROM footfall_visits WHERE {where}")
    people = influx_sum(rig.influxd.url, rig.database, 'SELECT sum("unique"), sum(returning) FROM footfall_visitors '
                        f"WHERE site = '{scene.site}' AND scope = 'site'")
    truth = scene.truth_in(spans)
    ref = reference(scene, spans, rig.work) if rig.reference else None
    influx_in = db_in.get("sum") or 0
    now_ns = time.time_ns() + 60 * 10**9
    by_id = {m.msg_id: m for m in msgs}

    def sample(ids) -> list[dict]:
        return [{"kind": by_id[i].kind, "seq": by_id[i].seq, "ts": by_id[i].ts.isoformat()}
                for i in sorted(ids, key=lambda i: by_id[i].seq)[:5]]

    influx_visits = db_visits.get("count") or 0
    return {
        "frames_seen": [list(s) for s in spans],
        "frames_skipped_by_the_unit": skipped,
        "messages": {
            "committed": len(committed), "by_kind": dict(kinds),
            "seq_gaps": len(missing_seqs),  # numbers taken but never committed (in memory at a kill) or dropped
            "seq_reused": sum(1 for ids in by_seq.values() if len(ids) > 1),
            "wire_redeliveries": trial.recorder.deliveries() - len(published),  # same msg_id twice: dedupe's work
            "left_in_outbox": len(outbox["queued"]),
            "parked_by_cloud": len(parked), "parked_kinds": parked_kinds,
            "restamped_by_cloud": len(shifts),  # from a clock ahead: stored at their arrival time
            "lost": len(lost_ids), "lost_by_kind": dict(Counter(m.kind for m in msgs if m.msg_id in lost_ids)),
            "lost_sample": sample(lost_ids),
            "overwritten": len(overwritten),
            "unexpected_points": len(unexpected),
            "points_in_the_future": sum(1 for k in stored if k[2] > now_ns),
        },
        "events": {
            "truth_in": truth["in"], "sent_in": sent_in, "influx_in": influx_in,
            "sent_visits": sent_visits, "influx_visits": influx_visits,
            "lost": max(0, sent_in - influx_in) + max(0, sent_visits - influx_visits),
            "doubled": max(0, influx_in - stored_in) + max(0, influx_visits - sent_visits) + len(unexpected),
            "vs_truth": influx_in - truth["in"],
            **({"reference_in": ref["in"], "reference_visits": ref["visits"]} if ref else {}),
        },
        "visitors": {"influx_unique": people.get("sum") or 0, "influx_returning": people.get("sum_1") or 0,
                     "truth_unique": truth["visitors"], "truth_returning": truth["returning"]},
        "outbox_dropped": outbox["dropped"],
        "_missing_seqs": missing_seqs,
    }


# ------------------------------------------------------------------------------------------------------- faults


def _frames(scene: Scene, seconds: float) -> int:
    return int(round(seconds * scene.fps))


def baseline(rig: Rig, stream_s: float = 60.0, paced: bool = True) -> dict:
    """No fault: what the path delivers when nothing goes wrong (the reference for the others)."""
    n = _frames(rig.scene, stream_s)
    with Trial(rig, "baseline") as t:
        t.ingest.start()
        t.edge.start(0, n, paced=paced)
        t.finish(timeout=stream_s + 120)
        return t.report([(0, n)], None)


def broker_outage(rig: Rig, outage_s: float = 600, stream_s: float | None = None, min_queued: int = 0,
                  paced: bool = True) -> dict:
    """mosquitto stopped for outage_s (and until the outbox holds min_queued messages) while the edge streams; the
    stream goes on after the broker is back (stream_s in all; default: outage plus a minute)."""
    scene = rig.scene
    n = _frames(scene, stream_s or outage_s + 60)
    scene.stream(0, n)
    with Trial(rig, "broker_outage") as t:
        t.ingest.start()
        t.edge.start(0, n, paced=paced)
        t.wait_stored(1)
        rig.mosquitto.stop()
        down = t.mark("fault_start")
        t.wait_until(lambda: time.monotonic() - down >= outage_s and len(t.edge.outbox()["queued"]) >= min_queued,
                     outage_s + 300, "the outage", poll=0.2)
        queued = len(t.edge.outbox()["queued"])
        rig.mosquitto.start()
        t.mark("fault_end")
        recovery = t.recovery(t.committed_ids())
        t.finish(timeout=n / scene.fps + 120)
        return t.report([(0, n)], recovery, outage_s=round(t.marks["fault_end"] - down, 1),
                        queued_at_end_of_outage=queued)


def influx_outage(rig: Rig, outage_s: float = 600, stream_s: float | None = None, min_spooled: int = 0,
                  paced: bool = True) -> dict:
    """influxd stopped for outage_s (and until the ingest spooled min_spooled messages) while the edge streams and
    the ingest receives; the stream goes on after the database is back."""
    scene = rig.scene
    n = _frames(scene, stream_s or outage_s + 60)
    scene.stream(0, n)
    with Trial(rig, "influx_outage") as t:
        t.ingest.start()
        t.edge.start(0, n, paced=paced)
        t.wait_stored(1)
        t.wait_until(lambda: t.ingest.state.spool_rows() == 0, 60, "a first write")
        rig.influxd.stop()
        down = t.mark("fault_start")
        t.wait_until(lambda: time.monotonic() - down >= outage_s and t.ingest.state.spool_rows() >= min_spooled,
                     outage_s + 300, "the outage", poll=0.2)
        spooled = t.ingest.state.spool_rows()
        ids = t.committed_ids()
        rig.influxd.start()
        t.mark("fault_end")
        recovery = t.recovery(ids)
        t.finish(timeout=n / scene.fps + 120)
        return t.report([(0, n)], recovery, outage_s=round(t.marks["fault_end"] - down, 1), spooled_messages=spooled)


def edge_kill(rig: Rig, at_s: float = 90, down_s: float = RESTART_S, after_s: float = 60) -> dict:
    """The edge SIGKILLed when the paced stream reaches at_s; a new process down_s later plays the camera's frames
    from then on (those in between are never seen, as with a camera). Promised: every message committed before the
    kill arrives once; numbering goes on. Not promised: the open interval and live tracks in memory."""
    scene = rig.scene
    kill_at = _frames(scene, at_s)
    resume = kill_at + _frames(scene, down_s)
    end = resume + _frames(scene, after_s)
    scene.stream(0, end)
    scene.stream(resume, end - resume)  # made before the clock starts
    with Trial(rig, "edge_kill") as t:
        t.ingest.start()
        t.edge.start(0, end)
        t.wait_frame(kill_at)
        t.edge.kill()
        killed = t.mark("fault_start")
        at_kill = t.edge.outbox()
        committed = set(t.recorder.data()) | {i for i in at_kill["queued"].values() if i}
        time.sleep(max(0.0, killed + down_s - time.monotonic()))
        t.edge.start(resume, end - resume)
        restarted = t.mark("fault_end")
        recovery = t.recovery(committed)
        seq0 = t.edge.runs[-1]["seq0"]
        t.wait_until(lambda: any(m.seq >= seq0 and m.msg_id in t.ingest.state.seen()
                                 for m, _ in t.recorder.data().values()), 120, "the restarted unit's first message")
        resumed = round(time.monotonic() - restarted, 2)
        t.finish(timeout=after_s + 120)
        rep = t.report([(0, kill_at), (resume, end)], recovery, down_s=down_s, committed_at_kill=len(committed),
                       queued_at_kill=len(at_kill["queued"]), resumed_s=resumed)
        rep["committed_at_kill_lost"] = len(committed - set(t.recorder.data()))
        return rep


def ingest_kill(rig: Rig, kills: int = 2, down_s: float = RESTART_S, stream_s: float = 150, paced: bool = True,
                every: int = 2) -> dict:
    """The ingest SIGKILLed the moment every `every`-th visit reaches the broker (the ingest is handling that very
    message then), `kills` times, each time restarted down_s later while the edge keeps publishing."""
    scene = rig.scene
    n = _frames(scene, stream_s)
    scene.stream(0, n)
    with Trial(rig, "ingest_kill") as t:
        t.ingest.start()
        fired = threading.Event()
        visits, due = [0], [every]

        def on_message(topic: str, payload: bytes) -> None:
            # every visit counts, those published while the ingest is down too: the next kill comes with the first
            # visit at or past the due one after the restart
            if topic.endswith("/visits"):
                visits[0] += 1
                if visits[0] >= due[0] and not fired.is_set():
                    t.ingest.kill()
                    fired.set()
                    due[0] = visits[0] + every

        t.recorder.hooks.append(on_message)
        t.edge.start(0, n, paced=paced)
        recoveries = []
        for _ in range(kills):
            t.wait_until(fired.is_set, n / scene.fps + 60, "a visit to kill the ingest on", poll=0.02)
            time.sleep(down_s)
            ids = set(t.recorder.data())
            t.ingest.start()
            recoveries.append(t.recovery(ids))
            fired.clear()
        t.recorder.hooks.clear()
        t.finish(timeout=n / scene.fps + 120)
        return t.report([(0, n)], max(recoveries) if None not in recoveries else None, kills=kills,
                        recoveries_s=recoveries, down_s=down_s)


def _ballast(outbox_dir: Path, max_mb: int, room_kb: float) -> int:
    """Fill the outbox file's disk budget to within room_kb with a ballast table before the unit starts. The budget
    counts every used page of the file, and max_mb is a whole number of MB (1 MB holds about an hour of one unit's
    messages), so this is how a small budget is reached in minutes. Returns the room left in bytes."""
    from footfall.edge.publish.outbox import Outbox

    path = outbox_dir / "outbox.sqlite"
    Outbox(path, max_mb).close()
    db = _db(path)

    def used() -> int:
        pages = db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0]
        return pages * db.execute("PRAGMA page_size").fetchone()[0]

    budget = max_mb * 1024 * 1024
    target = budget - int(room_kb * 1024)
    db.execute("CREATE TABLE IF NOT EXISTS bench_ballast (b BLOB)")
    while used() + 4096 <= target:
        db.execute("INSERT INTO bench_ballast VALUES (zeroblob(?))",
                   (min(256 * 1024, max(1000, target - used() - 8192)),))
    room = budget - used()
    db.close()
    return room


def outbox_budget(rig: Rig, outage_s: float = 600, room_kb: float = 12, min_dropped: int = 1,
                  stream_s: float | None = None, paced: bool = True) -> dict:
    """The outbox over its disk budget during a broker outage (for outage_s and until min_dropped were dropped): the
    oldest messages go, and every drop must be counted exactly: seq numbers never delivered = the outbox's count =
    the last health's outbox_dropped."""
    scene = rig.scene
    n = _frames(scene, stream_s or outage_s + 60)
    scene.stream(0, n)
    with Trial(rig, "outbox_budget", max_mb=1) as t:
        room = _ballast(t.edge.state, 1, room_kb)
        t.ingest.start()
        t.edge.start(0, n, paced=paced)
        t.wait_stored(1)
        rig.mosquitto.stop()
        down = t.mark("fault_start")
        t.wait_until(lambda: time.monotonic() - down >= outage_s and t.edge.outbox()["dropped"] >= min_dropped,
                     outage_s + 600, "drops", poll=0.2)
        rig.mosquitto.start()
        t.mark("fault_end")
        recovery = t.recovery(t.committed_ids(), drops=True)
        t.finish(timeout=n / scene.fps + 120, drops=True)
        rep = t.report([(0, n)], recovery, outage_s=round(t.marks["fault_end"] - down, 1), room_bytes=room)
        healths = sorted((m for m, _ in t.recorder.data().values() if m.kind == "health"), key=lambda m: m.seq)
        missing = rep["_missing_seqs"]
        rep["budget"] = {"never_delivered": len(missing), "outbox_count": rep["outbox_dropped"],
                         "health_outbox_dropped": healths[-1].outbox_dropped if healths else None,
                         "missing_seqs": f"{missing[0]}..{missing[-1]}" if missing else ""}
        rep["budget"]["exact"] = len(missing) == rep["outbox_dropped"] == rep["budget"]["health_outbox_dropped"]
        return rep


# name: (the visit message whose arrival sets off the steps, [(seconds after it, offset)], stream length s). Timed for
# the default scene (60 s loops; in its second loop the 7th visit arrives at about 16 s, a visitor is in view from
# 21 to 24 s, nobody from 37 s to the next loop).
CLOCK_VARIANTS = {
    # a wrong clock corrected by NTP a little later: an hour ahead while a visitor is in view, 20 s later back
    "forward_1h_and_back": (7, [(6.0, "+3600"), (26.0, "+0")], 170.0),
    # a clock that ran fast, stepped back by NTP while nobody is in view; streamed on until it has caught up
    "back_5min_between_tracks": (10, [(5.0, "-300")], 430.0),
    # the same step while a visitor is in view
    "back_5min_mid_track": (7, [(6.0, "-300")], 150.0),
}


def clock_jump(rig: Rig, variant: str = "back_5min_mid_track", at_visit: int | None = None,
               steps: list[tuple[float, str]] | None = None, stream_s: float | None = None,
               restart_s: float = RESTART_S) -> dict:
    """The device clock steps while the edge streams (the whole unit under libfaketime; the monotonic clock left
    alone, as an NTP step leaves it). The first step comes the moment the at_visit-th visit message reaches the
    broker (so it falls where the scene puts it, however busy the machine is: the default scene has visitors'
    tracks live then, or nobody in view); `steps`: (seconds after that, offset as faketime reads it). An edge that
    dies is restarted after restart_s (systemd's Restart=always) on the camera's later frames, clock as it is then."""
    scene = rig.scene
    v_visit, v_steps, v_stream = CLOCK_VARIANTS.get(variant, (7, [(6.0, "-300")], 150.0))
    at_visit = v_visit if at_visit is None else at_visit
    steps = v_steps if steps is None else steps
    n = _frames(scene, v_stream if stream_s is None else stream_s)
    scene.stream(0, n)
    with Trial(rig, f"clock_{variant}") as t:
        t.ingest.start()
        trigger = threading.Event()
        visits = [0]
        applied = []

        def on_message(topic: str, payload: bytes) -> None:
            if topic.endswith("/visits") and not trigger.is_set():
                visits[0] += 1
                if visits[0] == at_visit:
                    if steps[0][0] <= 0:  # at once, from here
                        t.edge.set_clock(steps[0][1])
                        applied.append({"offset": steps[0][1]})
                    trigger.set()

        t.recorder.hooks.append(on_message)
        t.edge.start(0, n, faketime=True)
        t.first_frame_time()
        t.wait_until(trigger.is_set, n / scene.fps + 60, f"visit {at_visit}", poll=0.02)
        first = time.monotonic()
        if applied:
            applied[0]["frame"] = t.current_frame()
        for dt, offset in steps[len(applied):]:
            time.sleep(max(0.0, first + dt - time.monotonic()))
            t.edge.set_clock(offset)
            applied.append({"frame": t.current_frame(), "offset": offset})
        spans, crashes, start, ended = [], [], 0, time.monotonic()
        while True:
            run = t.edge.runs[-1]
            rc = t.edge.wait(max(0.0, (run["first"] + run["count"] - t.current_frame()) / scene.fps) + 120)
            if rc in (0, None):
                spans.append((start, n))
                ended = time.monotonic()
                break
            died, ended = min(n, t.current_frame()), time.monotonic()
            crashes.append({"frame": died, "exit": rc, "error": _last_error(t.edge.log_tail(4000))})
            spans.append((start, died))
            time.sleep(restart_s)
            start = t.current_frame() + _frames(scene, 2.0)  # the restarted unit's first frame, about
            if start >= n - _frames(scene, 2.0):
                break
            t.edge.start(start, n - start, faketime=True)
        if crashes:
            t.notes.append(f"the edge died {len(crashes)} time(s) after the clock step: {crashes[0]['error']}")
        t.finish(timeout=30)
        mono_to_wall = time.time() - time.monotonic()
        stamps = Counter()  # messages by kind and by how far their device time was from the real time
        arrivals = []
        for m, at in t.recorder.data().values():
            stamps[f"{m.kind} {round((m.ts.timestamp() - (at + mono_to_wall)) / 60):+d} min"] += 1
            if m.kind == "health":
                arrivals.append(at)
        arrivals = sorted(arrivals) + [ended]  # up to the end of the stream
        gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
        return t.report(spans, None, steps=applied, crashes=crashes, device_time_offsets=dict(sorted(stamps.items())),
                        longest_health_silence_s=round(max(gaps, default=0.0), 1))


def _last_error(log: str) -> str:
    """The exception a dead process left in its log: its type line and, for pydantic, the reason below it."""
    lines = [l.strip() for l in log.splitlines() if l.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if re.match(r"[\w.]*(Error|Exception)\b", lines[i]):
            nxt = lines[i + 1] if i + 1 < len(lines) and not lines[i + 1].startswith("For further") else ""
            return f"{lines[i]} {nxt}".strip()[:300]
    return (lines[-1] if lines else "")[:300]


# ---------------------------------------------------------------------------------------------------------- CLI


def run_all(work: Path, scene_dir: Path | None, outage_s: float, only: list[str] | None) -> dict:
    from footfall.devserver.services import Influxd, Mosquitto, ensure_installed, free_port

    ensure_installed()
    scene = Scene(scene_dir or render_default_scene(work / "scene"))
    influxd = Influxd("influxd", work / "influxd", free_port())
    influxd.start()
    results, started = {}, time.monotonic()
    try:
        plan: list[tuple[str, Callable[[Rig], dict]]] = [
            ("baseline", lambda r: baseline(r)),
            ("broker_outage", lambda r: broker_outage(r, outage_s)),
            ("influx_outage", lambda r: influx_outage(r, outage_s)),
            ("edge_kill", lambda r: edge_kill(r)),
            ("ingest_kill", lambda r: ingest_kill(r)),
            ("outbox_budget", lambda r: outbox_budget(r, outage_s)),
            *[(f"clock_{v}", lambda r, v=v: clock_jump(r, v)) for v in CLOCK_VARIANTS],
        ]
        for name, fn in plan:
            if only and name not in only:
                continue
            # a broker of its own: no session or retained message of another fault
            broker = Mosquitto("mosquitto", work / f"broker-{name}", free_port())
            broker.start()
            rig = Rig(broker, influxd, scene, work, f"faults_{name}_{uuid.uuid4().hex[:6]}", reference=True)
            try:
                click.echo(f"{name}...", err=True)
                results[name] = fn(rig)
                results[name].pop("_missing_seqs", None)
            except Exception as e:  # one fault's failure is a result too
                results[name] = {"fault": name, "error": f"{type(e).__name__}: {e}"[:2000]}
            finally:
                broker.stop()
            click.echo(json.dumps(summary_row(results[name])), err=True)
    finally:
        influxd.stop()
    return {"scene": {"dir": str(scene.dir), "device": scene.device, "clip_s": scene.clip_s, "fps": scene.fps,
                      "in_crossings_per_clip": len(scene.crossings("in"))},
            "outage_s": outage_s, "edge": {"interval_s": INTERVAL_S, "health_interval_s": HEALTH_S},
            "wall_s": round(time.monotonic() - started, 1), "faults": results,
            "summary": {k: summary_row(v) for k, v in results.items()}}


def summary_row(r: dict) -> dict:
    if "error" in r:
        return {"error": r["error"][:200]}
    m, e = r["messages"], r["events"]
    row = {"committed": m["committed"], "lost_messages": m["lost"], "parked": m["parked_by_cloud"], "restamped": m["restamped_by_cloud"],
           "events_sent": e["sent_in"] + e["sent_visits"], "events_lost": e["lost"], "events_doubled": e["doubled"],
           "in_truth": e["truth_in"], "in_reference": e.get("reference_in"), "in_sent": e["sent_in"],
           "in_influx": e["influx_in"], "recovery_s": r["recovery_s"]}
    if "budget" in r:
        row["dropped"] = r["budget"]["never_delivered"]
        row["dropped_reported"] = r["budget"]["health_outbox_dropped"]
    return row


@click.command()
@click.option("--json", "as_json", is_flag=True, help="print JSON (the only output format)")
@click.option("--outage-s", default=600.0, show_default=True, help="length of the broker and database outages")
@click.option("--scene", "scene_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="a rendered scene (footfall-bench render) with an entrance device; default: one rendered from the "
                   "committed fixture faces")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write the JSON here instead of stdout")
@click.option("--only", help="comma-separated fault names")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), help="keep the run's files here")
def main(as_json: bool, outage_s: float, scene_dir: Path | None, out: Path | None, only: str | None,
         work: Path | None) -> None:
    """Stream a rendered scene through the real path while each fault happens in turn; report losses, doubles and
    recovery times as JSON."""
    with ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="faults-")))
        work.mkdir(parents=True, exist_ok=True)
        result = run_all(work.resolve(), scene_dir, outage_s, only.split(",") if only else None)
    text = json.dumps(result, indent=1, default=str)
    if out:
        out.write_text(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
