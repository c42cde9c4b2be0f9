"""Footfall's Grafana dashboards, written with grafanalib: `python deploy/grafana/generate.py` rewrites dashboards/.

Every panel queries the provisioned InfluxDB data source (uid `footfall-influx`) in InfluxQL, so each query can be
run on a real InfluxDB by the tests. Privacy: a figure resting on fewer than K visitors never leaves InfluxDB. The
query itself drops it (an outer query keeps only values >= K; an average keeps only buckets of >= K visits), so
the panel, its Inspect > Data view and the JSON API hold nothing to unmask; a stat that has nothing left shows
"<5". A value mapping alone would only paint over a number the browser already received.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from grafanalib import core as g
from grafanalib._gen import DashboardEncoder
from grafanalib.influxdb import InfluxDBTarget

K = 5  # the k of k-anonymity used on every surface (reports, API, dashboard, Grafana)
HIDDEN = f"<{K}"
DATASOURCE = {"type": "influxdb", "uid": "footfall-influx"}
OUT = Path(__file__).resolve().parent / "dashboards"
SITE = "site =~ /^$site$/"
DEVICE = "device =~ /^$device$/"


# -- queries -------------------------------------------------------------------------------------------------------

def k_safe(inner: str, field: str, tags: tuple[str, ...] = (), guard: str | None = None) -> str:
    """`field` of `inner` where it (or the count `guard` beside it) rests on at least K visitors.

    `inner` must name its columns with AS; the outer query keeps the time buckets and the series (`tags`) of it."""
    by = f" GROUP BY {', '.join(_q(t) for t in tags)}" if tags else ""
    return f'SELECT "{field}" FROM ({inner}) WHERE "{guard or field}" >= {K}{by}'


def _q(name: str) -> str:
    return f'"{name}"'


def _group(*tags: str, interval: str | None = "$__interval") -> str:
    parts = ([f"time({interval})"] if interval else []) + [_q(t) for t in tags]
    fill = " fill(none)" if interval else ""
    return (f" GROUP BY {', '.join(parts)}" if parts else "") + fill


def summed(measurement: str, field: str, where: str, *tags: str, interval: str | None = "$__interval") -> str:
    """sum(field) per bucket and series, k-safe."""
    inner = f'SELECT sum("{field}") AS "{field}" FROM {measurement} WHERE {where} AND $timeFilter{_group(*tags, interval=interval)}'
    return k_safe(inner, field, tags)


def averaged(measurement: str, total: str, n: str, where: str, *tags: str, name: str,
             interval: str | None = "$__interval") -> str:
    """sum(total) / sum(n) per bucket where the bucket holds at least K visits (n). The `* 1.0`: InfluxDB 1.x hands
    an integer quotient up out of a subquery truncated to an integer (0.58 became 0)."""
    inner = (f'SELECT sum("{total}") * 1.0 / sum("{n}") AS "{name}", sum("{n}") AS "n" FROM {measurement} '
             f'WHERE {where} AND $timeFilter{_group(*tags, interval=interval)}')
    return k_safe(inner, name, tags, guard="n")


def target(query: str, ref: str, alias: str = "", fmt: str = "time_series") -> InfluxDBTarget:
    return InfluxDBTarget(query=query, refId=ref, alias=alias, format=fmt, datasource=DATASOURCE)


# -- panels --------------------------------------------------------------------------------------------------------

def _pos(x: int, y: int, w: int = 12, h: int = 8) -> g.GridPos:
    return g.GridPos(h=h, w=w, x=x, y=y)


def series(title: str, targets: list, pos: g.GridPos, unit: str = "short", bars: bool = False, **kw) -> g.TimeSeries:
    return g.TimeSeries(title=title, dataSource=DATASOURCE, targets=targets, gridPos=pos, unit=unit,
                        drawStyle="bars" if bars else "line", fillOpacity=60 if bars else 10,
                        spanNulls=False, **kw)


def stat(title: str, targets: list, pos: g.GridPos, unit: str = "none", visitors: bool = True, **kw) -> g.Stat:
    """A single figure: the queries return one point per series over the whole range."""
    return g.Stat(title=title, dataSource=DATASOURCE, targets=targets, gridPos=pos, format=unit, graphMode="none",
                  reduceCalc="lastNotNull", noValue=HIDDEN if visitors else "no data", **kw)


def table(title: str, targets: list, pos: g.GridPos, **kw) -> g.Table:
    return g.Table(title=title, dataSource=DATASOURCE, targets=targets, gridPos=pos, **kw)


def variable(name: str, query: str, label: str, multi: bool = True) -> g.Template:
    return g.Template(name=name, label=label, query=query, dataSource=DATASOURCE, multi=multi, includeAll=multi,
                      refresh=g.REFRESH_ON_TIME_RANGE_CHANGE, sort=g.SORT_ALPHA_ASC,
                      default=None if multi else "", allValue=None)


SITE_QUERY = 'SHOW TAG VALUES WITH KEY = "site"'  # every measurement: a site at privacy level `counts` has no visitors
SITE_VAR = variable("site", SITE_QUERY, "Site")
DEVICE_VAR = variable("device", 'SHOW TAG VALUES WITH KEY = "device" WHERE site =~ /^$site$/', "Device")
STORE_VAR = variable("store", "SHOW TAG VALUES FROM footfall_visitors WITH KEY = \"scope\" WHERE site =~ /^$site$/ "
                              "AND scope != 'site'", "Store", multi=False)
ENTRANCE_VAR = g.Template(name="entrance", label="Entrance devices (regex)", query=".*entrance.*", type="textbox",
                          default=".*entrance.*")


def dashboard(uid: str, title: str, panels: list, variables: list, description: str) -> g.Dashboard:
    return g.Dashboard(uid=uid, title=title, description=description, tags=["footfall"], panels=panels,
                       templating=g.Templating(list=variables), time=g.Time("now-24h", "now"), timezone="browser",
                       refresh="5m", editable=False).auto_panel_ids()


# -- dashboards ----------------------------------------------------------------------------------------------------

def chain_overview() -> g.Dashboard:
    entrances = f"{SITE} AND device =~ /^$entrance$/"
    visitors = f"{SITE} AND scope = 'site'"
    return dashboard("footfall-chain", "Footfall: chain overview", [
        series("Footfall per site (entrance `in` crossings)", [
            target(summed("footfall_line", "in", entrances, "site"), "A", "$tag_site")], _pos(0, 0, 24)),
        stat("Footfall in range", [target(summed("footfall_line", "in", entrances, "site", interval=None), "A",
                                          "$tag_site")], _pos(0, 8, 8, 5)),
        stat("Unique visitors", [target(summed("footfall_visitors", "unique", visitors, "site", interval=None),
                                        "A", "$tag_site")], _pos(8, 8, 8, 5)),
        stat("Returning visitors", [target(summed("footfall_visitors", "returning", visitors, "site", interval=None),
                                           "A", "$tag_site")], _pos(16, 8, 8, 5)),
        series("Unique visitors per site", [
            target(summed("footfall_visitors", "unique", visitors, "site"), "A", "$tag_site")], _pos(0, 13, 12)),
        table("Visitors per store (conversion: store detail)", [
            target(summed("footfall_visitors", "unique", f"{SITE} AND scope != 'site'", "site", "scope",
                          interval=None), "A", fmt="table")], _pos(12, 13, 12)),
    ], [SITE_VAR, ENTRANCE_VAR], "Footfall, unique and returning visitors per site and store. Figures under 5 "
                                 "visitors are never queried out of InfluxDB.")


def store_detail() -> g.Dashboard:
    site, store = "site = '$site'", "site = '$site' AND scope = '$store'"
    door = f"{site} AND {DEVICE}"
    conversion_joined = [{"id": "joinByField", "options": {"byField": "Time", "mode": "outer"}},
                         {"id": "calculateField", "options": {"mode": "binary", "replaceFields": True,
                                                              "alias": "conversion",
                                                              "binary": {"left": "store", "operator": "/",
                                                                         "right": "site"}}}]
    return dashboard("footfall-store", "Footfall: store detail", [
        series("Hourly in / out at the store's doors", [
            target(summed("footfall_line", "in", door, interval="1h"), "A", "in"),
            target(summed("footfall_line", "out", door, interval="1h"), "B", "out")], _pos(0, 0, 12), bars=True),
        series("Occupancy (most people in the store's zones)", [
            target(k_safe(f'SELECT max("occupancy_max") AS "occupancy", sum("entries") AS "n" FROM footfall_zone '
                          f'WHERE {door} AND $timeFilter{_group()}', "occupancy", guard="n"), "A", "occupancy")],
               _pos(12, 0, 12)),
        series("Mean dwell (s)", [
            target(averaged("footfall_zone", "dwell_s_sum", "dwell_n", door, name="dwell_s"), "A", "dwell")],
               _pos(0, 8, 12), unit="s"),
        series("Store visitors", [
            target(summed("footfall_visitors", "unique", store), "A", "unique"),
            target(summed("footfall_visitors", "returning", store), "B", "returning")], _pos(12, 8, 12)),
        stat("In, this range", [target(summed("footfall_line", "in", door, interval=None), "A", "in")],
             _pos(0, 16, 6, 5)),
        stat("In, same range a week ago", [target(summed("footfall_line", "in", door, interval=None), "A", "in")],
             _pos(6, 16, 6, 5), timeShift="7d"),
        stat("Store visitors, this range", [target(summed("footfall_visitors", "unique", store, interval=None), "A",
                                                   "unique")], _pos(12, 16, 6, 5)),
        stat("Conversion (store / site visitors)", [
            target(summed("footfall_visitors", "unique", store, interval=None), "A", "store"),
            target(summed("footfall_visitors", "unique", f"{site} AND scope = 'site'", interval=None), "B", "site")],
             _pos(18, 16, 6, 5), unit="percentunit", transformations=conversion_joined),
        # the floor heatmap's cells (docs/heatmaps.md); the map over the plan is on the web dashboard's store page.
        # A cell's time leaves InfluxDB only when at least K distinct people stood in it in the range.
        table("Floor cells: person-seconds (cell = row x cols + col; cells of fewer than 5 people left out)", [
            target(k_safe('SELECT sum("person_s") AS "person_s", sum("tracks") AS "n" FROM footfall_floor '
                          "WHERE site = '$site' AND store = '$store' AND $timeFilter GROUP BY \"cell\"",
                          "person_s", ("cell",), guard="n"), "A", fmt="table")], _pos(0, 21, 24, 8),
              sortBy=[g.TableSortByField(displayName="person_s", desc=True)]),
        # opt-in audience insights (privacy.audience.age_gender): people per band, each bucket of a band under K left out
        series("Audience mix by hour: age bands (opt-in)", [
            target(summed("footfall_audience", "n", f"{door} AND attribute = 'age'", "band", interval="1h"), "A",
                   "$tag_band")], _pos(0, 29, 12), bars=True),
        series("Audience mix by hour: gender (opt-in)", [
            target(summed("footfall_audience", "n", f"{door} AND attribute = 'gender'", "band", interval="1h"), "A",
                   "$tag_band")], _pos(12, 29, 12), bars=True),
    ], [g.Template(name="site", label="Site", query=SITE_QUERY, dataSource=DATASOURCE,
                   refresh=g.REFRESH_ON_TIME_RANGE_CHANGE), STORE_VAR, DEVICE_VAR],
        "One store: its doors (device), zones, visitors, and the same range a week earlier.")


def mall_flows() -> g.Dashboard:
    return dashboard("footfall-flows", "Footfall: mall flows", [
        table("Moves between entrances, stores and zones", [
            target(summed("footfall_flow", "moves", SITE, "site", "from", "to", interval=None), "A", fmt="table")],
              _pos(0, 0, 12, 12)),
        series("Moves over time", [
            target(summed("footfall_flow", "moves", SITE, "from", "to"), "A", "$tag_from → $tag_to")],
               _pos(12, 0, 12, 12)),
    ], [SITE_VAR], "Where visitors go next (linked anonymous visits of one site and code period).")


def displays() -> g.Dashboard:
    where = f"{SITE} AND {DEVICE}"
    rate = (f'SELECT sum("viewers") * 1.0 / sum("passers") AS "rate", sum("viewers") AS "n" FROM footfall_display '
            f'WHERE {where} AND $timeFilter{_group("display")}')
    return dashboard("footfall-displays", "Footfall: displays", [
        series("Passers-by", [target(summed("footfall_display", "passers", where, "display"), "A", "$tag_display")],
               _pos(0, 0, 12)),
        series("Viewers", [target(summed("footfall_display", "viewers", where, "display"), "A", "$tag_display")],
               _pos(12, 0, 12)),
        series("Mean look time (s)", [target(averaged("footfall_display", "look_s_sum", "viewers", where, "display",
                                                      name="look_s"), "A", "$tag_display")], _pos(0, 8, 12), unit="s"),
        series("Share of passers-by who look", [target(k_safe(rate, "rate", ("display",), guard="n"), "A",
                                                       "$tag_display")], _pos(12, 8, 12), unit="percentunit"),
        series("Reactions (opt-in): share of looks per display", [
            target(reaction_share(where, r), ref, f"$tag_display {r}")
            for r, ref in (("delighted", "A"), ("neutral", "B"), ("disinterested", "C"))], _pos(0, 16, 24),
               unit="percentunit"),
    ], [SITE_VAR, DEVICE_VAR], "Passers-by, viewers and attention per display.")


def reaction_share(where: str, reaction: str) -> str:
    """Share of a display's looks with this reaction, where at least K looks had it (so also K looks in all)."""
    looks = 'sum("delighted") + sum("neutral") + sum("disinterested")'
    inner = (f'SELECT sum("{reaction}") * 1.0 / ({looks}) AS "share", sum("{reaction}") AS "n" FROM footfall_reactions '
             f'WHERE {where} AND $timeFilter{_group("display")}')
    return k_safe(inner, "share", ("display",), guard="n")


def fleet_health() -> g.Dashboard:
    where = f"{SITE} AND {DEVICE} AND $timeFilter"

    def latest(field: str) -> str:
        return f'SELECT last("{field}") AS "{field}" FROM footfall_health WHERE {where} GROUP BY "site", "device"'

    def per_device(expr: str) -> str:
        return f"SELECT {expr} FROM footfall_health WHERE {where} GROUP BY time($__interval), \"device\" fill(none)"

    return dashboard("footfall-fleet", "Footfall: fleet health", [
        # one selector per query: with several, InfluxDB stamps the row with the range start, not the report's time
        table("Last seen, camera and outbox per device", [
            target(latest("uptime_s"), "A", fmt="table"), target(latest("camera"), "B", fmt="table"),
            target(latest("outbox_depth"), "C", fmt="table")], _pos(0, 0, 24),
              transformations=[{"id": "merge", "options": {}}]),
        series("Frames per second", [target(per_device('mean("fps")'), "A", "$tag_device")], _pos(0, 8, 12)),
        series("Stage times (ms)", [target(per_device('mean(/_ms$/)'), "A", "$tag_device $col")], _pos(12, 8, 12),
               unit="ms"),
        series("Outbox depth (messages waiting)", [target(per_device('max("outbox_depth")'), "A", "$tag_device")],
               _pos(0, 16, 12)),
        series("Health reports per interval (0: a gap)", [target(
            f'SELECT count("fps") FROM footfall_health WHERE {where} GROUP BY time($__interval), "device" fill(0)',
            "A", "$tag_device")], _pos(12, 16, 12), bars=True),
        g.StateTimeline(title="Camera state", dataSource=DATASOURCE, gridPos=_pos(0, 24, 24), targets=[target(
            f'SELECT "camera" FROM footfall_health WHERE {where} GROUP BY "device"', "A", "$tag_device")]),
    ], [SITE_VAR, DEVICE_VAR], "Edge units: last report, frame rate, stage times, outbox, camera state, gaps. "
                               "No visitor figures here.")


DASHBOARDS = {"chain-overview": chain_overview, "store-detail": store_detail, "mall-flows": mall_flows,
              "displays": displays, "fleet-health": fleet_health}


def render(name: str) -> str:
    return json.dumps(DASHBOARDS[name]().to_json_data(), cls=DashboardEncoder, sort_keys=True, indent=2) + "\n"


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in DASHBOARDS:
        (out / f"{name}.json").write_text(render(name))
        print(out / f"{name}.json")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
