"""`footfall-bench evaluate`: how right the product is on a rendered scene, through the real path.

Every device of the scene runs as `footfall-edge run` publishing to a real mosquitto; the cloud ingest links and
stores into a real influxd; the figures are read back with InfluxQL and set next to truth.json and next to the
assembled open-source baseline (MediaPipe face detection + supervision's ByteTrack and LineZone) on the same videos.
`--sweep` renders scenes over seeds and crowd densities and plots accuracy against people in view.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import click
import yaml

ROOT = Path(__file__).resolve().parent.parent


def bin_of(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def scene_site(scene: Path, truth: dict) -> dict:
    """The cloud's view of the scene's site: entrances, and each store device with its floor zones."""
    configs = {d: yaml.safe_load((scene / f"{d}.yaml").read_text()) for d in truth["devices"]}
    first = next(iter(configs.values()))
    stores = [{"id": d, "zones": [z["id"] for z in c.get("zones", [])]}
              for d, c in configs.items() if c["role"] == "store" and c.get("zones")]
    return {"id": first["site"], "timezone": first["timezone"], "stores": stores,
            "entrances": [d for d, c in configs.items() if c["role"] == "entrance"]}


def run_real_path(scene: Path, out: Path, services, log=click.echo):
    """Edge units replaying the scene's videos publish to the broker; the ingest stores into InfluxDB.
    Returns the ingest's database adapter once everything published has been written."""
    from footfall.cloud.config import CloudConfig
    from footfall.cloud.ingest.service import Ingest

    truth = json.loads((scene / "truth.json").read_text())
    database = f"eval_{int(time.time() * 1000) % 10**9}"
    cfg = CloudConfig.model_validate({
        "mqtt": {"host": "127.0.0.1", "port": services.mosquitto.port, "client_id": f"{database}-ingest"},
        "influx": {"url": services.influxd.url, "database": database},
        "sites": [scene_site(scene, truth)], "state_dir": str(out / "cloud-state")})
    (out / "cloud.yaml").write_text(yaml.safe_dump(cfg.model_dump(mode="json")))
    ingest = Ingest(cfg)
    ingest.start()
    try:
        if not ingest.connected.wait(15):
            raise click.ClickException("the ingest could not subscribe to the local broker")
        edges = []
        for device in truth["devices"]:
            edge_cfg = yaml.safe_load((scene / f"{device}.yaml").read_text())
            edge_cfg["camera"]["source"] = str(scene / f"{device}.mp4")  # the scene may have been moved
            if "site_secret" in edge_cfg:
                edge_cfg["site_secret"] = {"file": str(scene / "site.secret")}
            edge_cfg["mqtt"] = {"host": "127.0.0.1", "port": services.mosquitto.port}
            edge_cfg["outbox"] = {"dir": str(out / "edge-state" / device)}
            path = out / f"edge-{device}.yaml"
            path.write_text(yaml.safe_dump(edge_cfg))
            with open(out / f"edge-{device}.log", "wb") as f:
                edges.append(subprocess.Popen([bin_of("footfall-edge"), "run", "--config", str(path), "--fast"],
                                              stdout=f, stderr=subprocess.STDOUT))
        log(f"edge units running: {', '.join(truth['devices'])} (logs in {out})")
        for p in edges:
            if p.wait() != 0:
                raise click.ClickException(f"an edge unit failed; see {out}/edge-*.log")
        published = sum(_outbox_seq(out / "edge-state" / d) for d in truth["devices"])
        deadline = time.monotonic() + 60  # every message the units sent is handled, then written
        while time.monotonic() < deadline and sum(ingest.handler.counts[k] for k in ("stored", "duplicate", "parked")) < published:
            time.sleep(0.1)
        ingest.writer.drain(60)
        return ingest.db
    finally:
        ingest.close()


def _outbox_seq(state: Path) -> int:
    """How many messages a unit numbered (its next sequence number); the outbox keeps it across restarts."""
    import sqlite3

    db = sqlite3.connect(state / "outbox.sqlite")
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()
        return int(row[0]) if row else 0
    finally:
        db.close()


# --- the truth, in the terms the product reports ---------------------------------------------------------------

def place_of_zone(site: dict) -> dict[str, str]:
    return {z: s["id"] for s in site["stores"] for z in s["zones"]}


def truth_figures(truth: dict, site: dict) -> dict:
    devices = truth["devices"]
    lines = {}
    for d, dev in devices.items():
        for c in dev["crossings"]:
            row = lines.setdefault(f"{d}/{c['line']}", {"in": 0, "out": 0})
            row[c["direction"]] += 1
    store_of = place_of_zone(site)
    stores = {s["id"]: len({(z["visitor"]) for d in devices.values() for z in d["zone_visits"]
                            if store_of.get(z["zone"]) == s["id"]}) for s in site["stores"]}
    dwell = {s["id"]: round(sum(z["exit"] - z["enter"] for d in devices.values() for z in d["zone_visits"]
                                if store_of.get(z["zone"]) == s["id"]), 1) for s in site["stores"]}
    viewers = sum(len(dev.get("looks", [])) for dev in devices.values())
    # as the linker counts them: a visitor came in through an entrance, a returning one on a second trip (a
    # passer-by who walks past the door twice is neither)
    trips_in: dict[str, set] = {v["id"]: set() for v in truth["visitors"]}
    for d in site["entrances"]:
        for c in devices.get(d, {}).get("crossings", []):
            if c["direction"] == "in":
                trips_in[c["visitor"]].add(c["trip"])
    if not site["entrances"]:
        trips_in = {v["id"]: set(range(len(v["trips"]))) for v in truth["visitors"]}
    return {"lines": lines, "unique": sum(len(t) > 0 for t in trips_in.values()),
            "returning": sum(len(t) > 1 for t in trips_in.values()),
            "stores": stores, "dwell_s": dwell, "display_viewers": viewers, "flows": truth_flows(truth, site)}


def truth_flows(truth: dict, site: dict) -> dict[str, int]:
    """Moves between the places a visitor is seen at (an entrance walking in, a store, a display aisle), in time
    order across their trips: what the cloud's linker counts. A place counts only where the walk there showed the
    face (a sighting with face_visible_s > 0): a display pass made in profile all along, or a walk with the face
    turned away, gives no code, and no linker can place anyone there."""
    store_of = place_of_zone(site)
    shown = {(d, s["visitor"], s["trip"]) for d, dev in truth["devices"].items() for s in dev.get("sightings", [])
             if s.get("face_visible_s", 1) > 0}
    stops: dict[str, list[tuple[float, str]]] = {}
    for d, dev in truth["devices"].items():
        for c in dev["crossings"]:
            if d in site["entrances"] and c["direction"] == "in" and (d, c["visitor"], c["trip"]) in shown:
                stops.setdefault(c["visitor"], []).append((c["t"], d))
        for z in dev["zone_visits"] + dev.get("passes", []):
            if (d, z["visitor"], z["trip"]) in shown:
                stops.setdefault(z["visitor"], []).append((z["enter"], store_of.get(z["zone"], z["zone"])))
    moves: Counter = Counter()
    for seq in stops.values():
        places = [p for _, p in sorted(seq)]
        for a, b in zip(places, places[1:]):
            if a != b:
                moves[f"{a} -> {b}"] += 1
    return dict(moves)


# --- what the product reports, read back with InfluxQL -----------------------------------------------------------

def measured_figures(db, site: dict) -> dict:
    def total(q: str, key: str = "sum"):
        rows = db.query(q)
        return rows[0][key] or 0 if rows else 0

    lines = {}
    for r in db.query('SELECT sum("in") AS i, sum("out") AS o FROM footfall_line GROUP BY device, line'):
        lines[f"{r['device']}/{r['line']}"] = {"in": r["i"], "out": r["o"]}
    stores = {s["id"]: total(f"SELECT sum(\"unique\") FROM footfall_visitors WHERE scope = '{s['id']}'")
              for s in site["stores"]}
    dwell = {}
    for s in site["stores"]:
        zones = " OR ".join(f"zone = '{z}'" for z in s["zones"])
        dwell[s["id"]] = round(total(f"SELECT sum(dwell_s_sum) FROM footfall_zone WHERE {zones}"), 1)
    flows = {f"{r['from']} -> {r['to']}": r["sum"]  # a flow a late visit corrected away sums to 0
             for r in db.query('SELECT sum(moves) FROM footfall_flow GROUP BY "from", "to"') if r["sum"]}
    return {"lines": lines, "unique": total("SELECT sum(\"unique\") FROM footfall_visitors WHERE scope = 'site'"),
            "returning": total("SELECT sum(returning) FROM footfall_visitors WHERE scope = 'site'"),
            "stores": stores, "dwell_s": dwell, "display_viewers": total("SELECT sum(viewers) FROM footfall_display"),
            "flows": flows}


def baseline_figures(result: dict, site: dict) -> dict:
    """The assembled baseline has no re-identification: each entrance crossing is a new visitor, nobody returns,
    and it cannot follow anyone from one camera to the next (no flows)."""
    lines, stores, dwell = {}, {}, {}
    store_of = place_of_zone(site)
    for d, dev in result["devices"].items():
        for line, row in dev["lines"].items():
            lines[f"{d}/{line}"] = {"in": row["in"], "out": row["out"]}
        for zone, row in dev["zones"].items():
            if zone in store_of:
                stores[store_of[zone]] = stores.get(store_of[zone], 0) + row["visitors"]
                dwell[store_of[zone]] = round(dwell.get(store_of[zone], 0.0) + row["dwell_s"], 1)
    entrance_in = sum(v["in"] for k, v in lines.items() if k.split("/")[0] in site["entrances"])
    return {"lines": lines, "unique": entrance_in, "returning": 0, "stores": stores, "dwell_s": dwell,
            "display_viewers": None, "flows": {}}


# --- scores ------------------------------------------------------------------------------------------------------

def accuracy(got: float, want: float) -> float | None:
    """1 - relative error (1.0 is exact); None where the truth is 0."""
    return None if not want else round(1.0 - abs(got - want) / want, 4)


def scores(fig: dict, truth: dict) -> dict:
    line_keys = sorted(truth["lines"])
    in_got = sum(fig["lines"].get(k, {}).get("in", 0) for k in line_keys)
    in_want = sum(truth["lines"][k]["in"] for k in line_keys)
    flow_keys = set(truth["flows"]) | set(fig["flows"])
    flow_err = sum(abs(fig["flows"].get(k, 0) - truth["flows"].get(k, 0)) for k in flow_keys)
    flow_total = sum(truth["flows"].values())
    return {
        "in_accuracy": accuracy(in_got, in_want),
        "in_accuracy_per_line": {k: accuracy(fig["lines"].get(k, {}).get("in", 0), truth["lines"][k]["in"])
                                 for k in line_keys},
        "unique_error": _rel_error(fig["unique"], truth["unique"]),
        "returning_error": _rel_error(fig["returning"], truth["returning"]),
        "store_visitors_error": {s: _rel_error(fig["stores"].get(s, 0), n) for s, n in truth["stores"].items()},
        "dwell_error": {s: _rel_error(fig["dwell_s"].get(s, 0), n) for s, n in truth["dwell_s"].items()},
        "flow_error": round(flow_err / flow_total, 4) if flow_total else None,
    }


def _rel_error(got: float, want: float) -> float | None:
    return None if not want else round((got - want) / want, 4)


def evaluate_scene(scene: Path, out: Path, baseline: bool = True, log=click.echo, keep: bool = False) -> dict:
    """The real path on local servers (left running with `keep`), then the baseline on the same videos."""
    from footfall.devserver.services import LocalServices

    scene, out = scene.resolve(), out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # a re-run starts from empty servers and state: an earlier run's linked visitors, outbox numbers and points
    # would otherwise mix into this run's figures (every visitor "returning", none new)
    for state in ("services", "cloud-state", "edge-state"):
        shutil.rmtree(out / state, ignore_errors=True)
    truth = json.loads((scene / "truth.json").read_text())
    site = scene_site(scene, truth)
    want = truth_figures(truth, site)
    services = LocalServices(out / "services")
    services.up()
    log(f"servers: mosquitto {services.mosquitto.url}, influxd {services.influxd.url}")
    try:
        started = time.monotonic()
        db = run_real_path(scene, out, services, log)
        ours = measured_figures(db, site)
        real_path_s = round(time.monotonic() - started, 1)
        log(f"InfluxDB database {db.database} on {services.influxd.url}")
    finally:
        if not keep:
            services.down()
    result = {"scene": str(scene), "spec": truth.get("spec"), "truth": want,
              "footfall": {"figures": ours, "scores": scores(ours, want), "seconds": real_path_s}}
    if baseline:
        from .baseline import run_baseline

        started = time.monotonic()
        raw = run_baseline(scene)
        if raw is not None:
            fig = baseline_figures(raw, site)
            result["baseline"] = {"tool": raw.get("tool"), "figures": fig, "scores": scores(fig, want),
                                  "seconds": round(time.monotonic() - started, 1)}
    return result


def print_table(result: dict) -> None:
    want = result["truth"]
    cols = [("footfall", result["footfall"]["figures"])]
    if "baseline" in result:
        cols.append(("baseline", result["baseline"]["figures"]))
    click.echo(f"\n{'':34}{'truth':>9}" + "".join(f"{name:>10}" for name, _ in cols))

    def row(label, truth_value, get):
        click.echo(f"{label:34}{truth_value!s:>9}" + "".join(f"{get(f)!s:>10}" for _, f in cols))

    for key, t in want["lines"].items():
        row(f"{key} in", t["in"], lambda f, k=key: f["lines"].get(k, {}).get("in", 0))
        row(f"{key} out", t["out"], lambda f, k=key: f["lines"].get(k, {}).get("out", 0))
    row("unique visitors", want["unique"], lambda f: f["unique"])
    row("returning visitors", want["returning"], lambda f: f["returning"])
    row("display viewers", want["display_viewers"], lambda f: "-" if f["display_viewers"] is None else f["display_viewers"])
    for s, n in want["stores"].items():
        row(f"{s} visitors", n, lambda f, s=s: f["stores"].get(s, 0))
        row(f"{s} dwell s", want["dwell_s"][s], lambda f, s=s: f["dwell_s"].get(s, 0))
    for k in sorted(set(want["flows"]) | set(result["footfall"]["figures"]["flows"])):
        row(f"flow {k}", want["flows"].get(k, 0), lambda f, k=k: f["flows"].get(k, 0) if f["flows"] or k in want["flows"] else "-")
    click.echo("")
    for name, key in (("footfall", "footfall"), ("baseline", "baseline")):
        if key in result:
            s = result[key]["scores"]
            click.echo(f"{name}: in accuracy {s['in_accuracy']}, unique error {s['unique_error']}, returning error "
                       f"{s['returning_error']}, store visitors error {s['store_visitors_error']}, "
                       f"flow error {s['flow_error']}")


def sweep(faces: Path, out: Path, seeds: list[int], crowds: list[str], duration_s: float, baseline: bool) -> dict:
    """Render and evaluate one scene per (crowd, seed); JSON of every run and a plot of accuracy against crowding."""
    runs = []
    for crowd in crowds:
        for seed in seeds:
            scene = out / f"scene-{crowd}-{seed}"
            if not (scene / "truth.json").exists():
                subprocess.run([bin_of("footfall-bench"), "render", "--faces", str(faces), "--out", str(scene),
                                "--seed", str(seed), "--duration", str(duration_s), "--crowd", crowd],
                               check=True, stderr=subprocess.DEVNULL)
            click.echo(f"evaluating {scene.name}...")
            r = evaluate_scene(scene, out / f"run-{crowd}-{seed}", baseline, log=lambda *_: None)
            r["crowd"], r["seed"], r["people_in_view"] = crowd, seed, people_in_view(scene)
            runs.append(r)
    summary = {"runs": runs}
    (out / "sweep.json").write_text(json.dumps(summary, indent=1))
    plot_sweep(runs, out / "sweep.png")
    return summary


def people_in_view(scene: Path) -> float:
    """Mean number of walkers whose face is in the entrance camera's view while anyone's is (from the truth)."""
    truth = json.loads((scene / "truth.json").read_text())
    entrance = next((d for d, dev in truth["devices"].items() if dev["role"] == "entrance"), None)
    spans = [(s["start"], s["end"]) for s in truth["devices"][entrance]["sightings"]] if entrance else []
    if not spans:
        return 0.0
    t0, t1 = min(a for a, _ in spans), max(b for _, b in spans)
    samples = [t0 + i * 0.5 for i in range(int((t1 - t0) / 0.5) + 1)]
    busy = [sum(a <= t <= b for a, b in spans) for t in samples]
    busy = [n for n in busy if n]
    return round(sum(busy) / len(busy), 2) if busy else 0.0


def plot_sweep(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    tools = (("footfall", "Footfall", "o"), ("baseline", "MediaPipe + ByteTrack + LineZone", "s"))
    for key, label, marker in tools:
        pts = [(r["people_in_view"], r[key]["scores"]["in_accuracy"]) for r in runs
               if key in r and r[key]["scores"]["in_accuracy"] is not None]
        if pts:
            ax.scatter(*zip(*pts), label=label, marker=marker)
        for score, colour in (("unique_error", "tab:blue"), ("returning_error", "tab:orange")):
            pts = [(r["people_in_view"], abs(r[key]["scores"][score])) for r in runs
                   if key in r and r[key]["scores"].get(score) is not None]
            if pts:
                ax2.scatter(*zip(*pts), marker=marker, color=colour, label=f"{label}: {score.replace('_', ' ')}")
    ax.axhline(0.99, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("people in the entrance view at once (mean while anyone is)")
    ax.set_ylabel("entrance + store door `in` count accuracy")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    ax2.axhline(0.03, color="tab:blue", lw=0.8, ls="--")
    ax2.axhline(0.05, color="tab:orange", lw=0.8, ls="--")
    ax2.set_xlabel("people in the entrance view at once (mean while anyone is)")
    ax2.set_ylabel("|relative error| of visitors")
    ax2.set_ylim(0, 1.05)
    ax2.legend(loc="upper left", fontsize=7)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@click.command()
@click.option("--scene", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="a rendered scene (footfall-bench render)")
@click.option("--out", default="out/evaluate", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
@click.option("--baseline/--no-baseline", default=True, show_default=True,
              help="also run MediaPipe + supervision's ByteTrack and LineZone on the same videos")
@click.option("--sweep", "do_sweep", is_flag=True, help="render and evaluate scenes over --seeds and --crowds")
@click.option("--faces", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="identity photos for --sweep (default: ../shared/data/deepface_ids, else tests/fixtures/faces)")
@click.option("--seeds", default="1,2,3", show_default=True)
@click.option("--crowds", default="none,light,dense", show_default=True, help="render crowd presets for --sweep")
@click.option("--duration", "duration_s", default=180.0, show_default=True, help="seconds per --sweep scene")
def main(scene, out, as_json, baseline, do_sweep, faces, seeds, crowds, duration_s) -> None:
    """Counts, visitors, dwell and flows of the real path on rendered scenes, next to the truth and a baseline."""
    if do_sweep:
        shared = ROOT.parent / "shared" / "data" / "deepface_ids"
        faces = faces or (shared if shared.is_dir() else ROOT / "tests" / "fixtures" / "faces")
        result = sweep(faces, out, [int(s) for s in seeds.split(",")], crowds.split(","), duration_s, baseline)
        click.echo(json.dumps(result, indent=1) if as_json else f"{out / 'sweep.json'}, {out / 'sweep.png'}")
        return
    if scene is None:
        raise click.UsageError("give --scene DIR, or --sweep")
    result = evaluate_scene(scene, out, baseline, log=(lambda *_: None) if as_json else click.echo)
    (out / "evaluate.json").write_text(json.dumps(result, indent=1))
    if as_json:
        click.echo(json.dumps(result, indent=1))
    else:
        print_table(result)
