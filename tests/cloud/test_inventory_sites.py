"""`footfall-cloud sites`: cloud.yaml's site layout generated from the edge inventory (ansible-inventory reads it)."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from footfall.cloud.config import CloudConfig
from footfall.cloud.inventory import InventoryError, edge_hosts, read_inventory, site_layout

ANSIBLE = Path(__file__).resolve().parents[2] / "ansible"
EXAMPLE = ANSIBLE / "inventories/example/hosts.yml"
VAULT = ANSIBLE / "inventories/example/vault-password.example"
CLI = [sys.executable, "-m", "footfall.cloud"]


@pytest.fixture(scope="module")
def example():
    return read_inventory(EXAMPLE, VAULT)


def test_the_example_inventory_gives_a_valid_cloud_yaml_matching_its_devices(example, tmp_path):
    hostvars, groups = example
    base = tmp_path / "cloud.yaml"
    base.write_text(yaml.safe_dump({"sites": [{"id": "mall-west", "timezone": "UTC", "link_grace_s": 3600}],
                                    "influx": {"database": "footfall"}}))
    p = subprocess.run(CLI + ["sites", "--inventory", str(EXAMPLE), "--vault-password-file", str(VAULT), "--into", str(base)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    cloud = CloudConfig.model_validate(yaml.safe_load(p.stdout))
    sites = {s.id: s for s in cloud.sites}
    assert set(sites) == {hv["footfall_site"] for hv in hostvars.values() if "footfall_site" in hv}
    assert sites["mall-west"].link_grace_s == 3600 and sites["mall-west"].timezone == "Europe/Berlin"  # kept / replaced
    units = {h: hostvars[h] for h in edge_hosts(groups)}
    entrances = {h for h, hv in units.items() if hv["footfall_role"] == "entrance"}
    assert {d for s in cloud.sites for d in s.entrances} == {units[h].get("footfall_device", h) for h in entrances}
    store_zones = {z["id"] for hv in units.values() if hv["footfall_role"] == "store" for z in hv["footfall_zones"]}
    assert {z for s in cloud.sites for st in s.stores for z in st.zones} == store_zones


def test_the_committed_example_cloud_inventory_is_the_generated_layout(example):
    """The example cloud inventory's sites are what the edge inventory generates: ids cannot drift between them."""
    hostvars, groups = example
    cloud = yaml.safe_load((ANSIBLE / "inventories/example-cloud/group_vars/cloud/main.yml").read_text())
    assert cloud["footfall_cloud_config"]["sites"] == site_layout(hostvars, edge_hosts(groups))


def test_a_unit_that_cannot_make_a_layout_is_named():
    units = {"a": {"footfall_site": "s", "footfall_role": "store", "footfall_timezone": "UTC"},
             "b": {"footfall_site": "s", "footfall_role": "entrance", "footfall_timezone": "Europe/Paris",
                   "footfall_device": "door"}}
    with pytest.raises(InventoryError, match="^a: footfall_zones: a store unit needs a zone"):
        site_layout(units, ["a"])
    with pytest.raises(InventoryError, match="site s: footfall_timezone differs"):
        site_layout(units | {"a": units["a"] | {"footfall_zones": [{"id": "z"}]}}, ["a", "b"])
    assert site_layout(units, ["b"])[0]["entrances"] == ["door"]  # footfall_device wins over the host name
    with pytest.raises(InventoryError, match="^a: footfall_entrance_reversed applies to entrance units only"):
        site_layout({"a": units["a"] | {"footfall_zones": [{"id": "z"}], "footfall_entrance_reversed": True}}, ["a"])


def test_a_two_unit_door_names_its_reversed_unit(example):
    hostvars, groups = example
    sites = {s["id"]: s for s in site_layout(hostvars, edge_hosts(groups))}
    reversed_units = {h for h in edge_hosts(groups) if hostvars[h].get("footfall_entrance_reversed")}
    assert reversed_units and set(sites["outlet-north"]["reversed_entrances"]) == reversed_units
    assert set(sites["outlet-north"]["reversed_entrances"]) < set(sites["outlet-north"]["entrances"])
    assert "reversed_entrances" not in sites["mall-west"]
