"""deploy/grafana: the committed dashboards are what generate.py writes, with fixed uids, one data source (the
provisioned one), and the provisioning points at them."""
import importlib.util
import json
from pathlib import Path

import yaml

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"


def generator():
    spec = importlib.util.spec_from_file_location("grafana_generate", GRAFANA / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_dashboards_are_the_generators_output():
    gen = generator()
    committed = sorted(p.stem for p in (GRAFANA / "dashboards").glob("*.json"))
    assert committed == sorted(gen.DASHBOARDS)
    for name in gen.DASHBOARDS:
        assert (GRAFANA / "dashboards" / f"{name}.json").read_text() == gen.render(name), \
            f"{name}.json is stale: run python deploy/grafana/generate.py"


def test_fixed_uids_one_datasource_and_the_provisioning_that_loads_them():
    source = yaml.safe_load((GRAFANA / "provisioning/datasources/footfall.yaml").read_text())["datasources"][0]
    assert source["type"] == "influxdb" and source["jsonData"]["version"] == "InfluxQL"
    boards = [json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))]
    uids = [b["uid"] for b in boards]
    assert len(set(uids)) == len(uids) == 5 and all(u.startswith("footfall-") for u in uids)
    for b in boards:
        assert {v["name"] for v in b["templating"]["list"]} >= {"site"}
        for panel in b["panels"]:
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert panel["targets"] and all(t["datasource"]["uid"] == source["uid"] for t in panel["targets"])
    assert {"site", "store", "device"} <= {v["name"] for b in boards for v in b["templating"]["list"]}
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/footfall.yaml").read_text())["providers"][0]
    assert provider["folder"] == "Footfall" and not provider["allowUiUpdates"]


def test_every_visitor_figure_is_guarded_in_its_query():
    """A figure from a visitor measurement leaves InfluxDB only through the >= 5 guard (values are tested against a
    real InfluxDB in tests/integration/test_grafana_queries.py); a stat with nothing left says "<5"."""
    gen = generator()
    for name in gen.DASHBOARDS:
        board = json.loads(gen.render(name))
        for panel in board["panels"]:
            for t in panel["targets"]:
                if "footfall_health" in t["query"]:
                    continue
                assert t["query"].startswith("SELECT \"") and f'>= {gen.K}' in t["query"].rsplit(")", 1)[1], t["query"]
            if panel["type"] == "stat" and "footfall_health" not in json.dumps(panel["targets"]):
                assert panel["fieldConfig"]["defaults"]["noValue"] == "<5"
