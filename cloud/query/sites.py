"""The organisation as the config describes it (sites, their stores and zones) plus the devices InfluxDB has seen."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from footfall.cloud.config import CloudConfig, Site, Store
from footfall.cloud.store.influx import InfluxV1

from .influxql import any_of, lit

DEVICE_CACHE_S = 60.0  # devices appear rarely; the store page must not ask InfluxDB for them on every call


class UnknownError(LookupError):
    """A site or store id the config does not know; `field` names the parameter."""

    def __init__(self, field: str, value: str):
        super().__init__(f"{field}: unknown {field} {value!r}")
        self.field = field
        self.value = value


@dataclass(frozen=True)
class StoreRef:
    site: Site
    store: Store

    @property
    def id(self) -> str:
        return self.store.id


class Directory:
    def __init__(self, cfg: CloudConfig, db: InfluxV1):
        self.cfg = cfg
        self.db = db
        self.sites = {s.id: s for s in cfg.sites}
        self.stores: dict[str, StoreRef] = {}
        for s in cfg.sites:
            for st in s.stores:
                if st.id in self.stores:  # the API addresses stores by id alone (/stores/<id>)
                    raise ValueError(f"store id {st.id!r} is used by sites {self.stores[st.id].site.id!r} and {s.id!r}")
                self.stores[st.id] = StoreRef(s, st)
        self._lock = threading.Lock()
        self._cache: dict[tuple, tuple[float, object]] = {}

    def site(self, site_id: str) -> Site:
        try:
            return self.sites[site_id]
        except KeyError:
            raise UnknownError("site", site_id) from None

    def store(self, store_id: str) -> StoreRef:
        try:
            return self.stores[store_id]
        except KeyError:
            raise UnknownError("store", store_id) from None

    def _cached(self, key: tuple, make):
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit and now - hit[0] < DEVICE_CACHE_S:
                return hit[1]
        value = make()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def devices(self, site_id: str) -> list[str]:
        """Every device of the site that wrote counts or health."""
        def make():
            found: set[str] = set()
            for m in ("footfall_line", "footfall_zone", "footfall_display", "footfall_health"):
                rows = self.db.query(f'SHOW TAG VALUES FROM {m} WITH KEY = "device" WHERE site = {lit(site_id)}')
                found |= {r["value"] for r in rows}
            return sorted(found)
        return self._cached(("devices", site_id), make)

    def store_devices(self, store_id: str) -> list[str]:
        """The devices that count the store's zones: their lines are the store's doors."""
        ref = self.store(store_id)

        def make():
            rows = self.db.query(f'SHOW TAG VALUES FROM footfall_zone WITH KEY = "device" '
                                 f'WHERE site = {lit(ref.site.id)} AND {any_of("zone", ref.store.zones)}')
            return sorted({r["value"] for r in rows})
        return self._cached(("store_devices", store_id), make)

    def entrance_devices(self, site: Site) -> list[str]:
        """The site's entrance devices; a site naming none counts at every device's lines."""
        return list(site.entrances) or self.devices(site.id)
