"""The cloud's site layout (cloud.yaml `sites`) generated from the edge units' Ansible inventory, so the device ids
the aggregator expects are the ones the units publish with (edge_app: footfall_device, default the host name).

The inventory is read by `ansible-inventory --list` (Ansible's own rules for groups, group_vars and host_vars);
only the `edge` group's hosts count.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from footfall.cloud.config import CloudConfig, Site


class InventoryError(ValueError):
    """A unit's host vars cannot make a site layout; the message names the host and the variable."""


def read_inventory(inventory: Path, vault_password_file: Path | None = None) -> tuple[dict, dict]:
    """(hostvars, groups) as ansible-inventory sees them."""
    exe = Path(sys.executable).with_name("ansible-inventory")
    exe = str(exe) if exe.exists() else shutil.which("ansible-inventory")
    if exe is None:
        raise InventoryError("ansible-inventory not found: install ansible on this machine (the controller)")
    argv = [exe, "-i", str(inventory), "--list"]
    if vault_password_file:
        argv += ["--vault-password-file", str(vault_password_file)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise InventoryError(f"{inventory}: ansible-inventory failed: {p.stderr.strip()}")
    data = json.loads(p.stdout)
    return data.get("_meta", {}).get("hostvars", {}), {k: v for k, v in data.items() if k != "_meta"}


def edge_hosts(groups: dict, group: str = "edge") -> list[str]:
    """Every host in `group` and the groups below it."""
    g = groups.get(group, {})
    hosts = list(g.get("hosts", []))
    for child in g.get("children", []):
        hosts += edge_hosts(groups, child)
    return sorted(set(hosts))


def device_id(host: str, hv: dict) -> str:
    return hv.get("footfall_device") or host  # as edge_app_device does


def site_layout(hostvars: dict, hosts: list[str]) -> list[dict]:
    """One cloud site per footfall_site: its entrances (entrance units, the reversed ones of two-unit doors named) and
    stores (store units' zones)."""
    by_site: dict[str, list[str]] = defaultdict(list)
    for host in hosts:
        hv = hostvars.get(host, {})
        for var in ("footfall_site", "footfall_role", "footfall_timezone"):
            if not hv.get(var):
                raise InventoryError(f"{host}: {var} is not set")
        by_site[hv["footfall_site"]].append(host)
    sites = []
    for site, members in sorted(by_site.items()):
        def agreed(var: str, get) -> str:
            values = {host: get(hostvars[host]) for host in members}
            if len(set(values.values())) > 1:
                raise InventoryError(f"site {site}: {var} differs between its units: {values}")
            return next(iter(values.values()))

        timezone = agreed("footfall_timezone", lambda hv: hv["footfall_timezone"])
        period = agreed("footfall_privacy.rotation.period",
                        lambda hv: ((hv.get("footfall_privacy") or {}).get("rotation") or {}).get("period", "daily"))
        name = agreed("footfall_site_name", lambda hv: hv.get("footfall_site_name", ""))
        entrances, reversed_entrances, stores = [], [], defaultdict(list)
        for host in members:
            hv = hostvars[host]
            if hv.get("footfall_entrance_reversed") and hv["footfall_role"] != "entrance":
                raise InventoryError(f"{host}: footfall_entrance_reversed applies to entrance units only")
            if hv["footfall_role"] == "entrance":
                entrances.append(device_id(host, hv))
                if hv.get("footfall_entrance_reversed"):  # the second unit of a two-unit door, facing the leavers
                    reversed_entrances.append(device_id(host, hv))
            elif hv["footfall_role"] == "store":
                zones = [z["id"] for z in hv.get("footfall_zones") or []]
                if not zones:
                    raise InventoryError(f"{host}: footfall_zones: a store unit needs a zone (the cloud's store is "
                                         "made of its units' zones)")
                stores[hv.get("footfall_store") or device_id(host, hv)] += zones
        site_cfg = {"id": site, **({"name": name} if name else {}), "timezone": timezone, "linkability": period,
                    "entrances": sorted(entrances),
                    **({"reversed_entrances": sorted(reversed_entrances)} if reversed_entrances else {}),
                    "stores": [{"id": store, "zones": sorted(set(z))} for store, z in sorted(stores.items())]}
        Site.model_validate(site_cfg)  # a bad id or time zone is refused here, naming the field
        sites.append(site_cfg)
    return sites


def merge_into(cloud: dict, sites: list[dict]) -> dict:
    """`cloud` (a cloud.yaml mapping) with its sites replaced; a site's own settings (link_grace_s, ...) are kept."""
    old = {s["id"]: s for s in cloud.get("sites") or []}
    merged = [old.get(s["id"], {}) | {k: v for k, v in s.items() if v or k not in old.get(s["id"], {})} for s in sites]
    return cloud | {"sites": merged}


def generate(inventory: Path, vault_password_file: Path | None = None, into: dict | None = None) -> dict:
    hostvars, groups = read_inventory(inventory, vault_password_file)
    sites = site_layout(hostvars, edge_hosts(groups))
    if into is None:
        return {"sites": sites}
    out = merge_into(into, sites)
    CloudConfig.model_validate(out)
    return out


def dump(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=120)
