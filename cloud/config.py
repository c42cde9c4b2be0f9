"""Cloud aggregator configuration: broker, database, the sites it serves."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from footfall.protocol.configfile import Id, MqttSettings, SecretRef, Strict, TimeZone, load_config
from footfall.protocol.contract import CLOUD_CLIENT_ID, CODE_BITS, MATCH_MAX_DISTANCE, PeriodPolicy

from .floor.plan import FloorPlan
from .report.settings import Reports


class Mqtt(MqttSettings):
    client_id: str = CLOUD_CLIENT_ID  # one per instance: two shards with one id would throw each other off


class Influx(Strict):
    """Any server that speaks the v1 HTTP API: InfluxDB 1.x, 2.x (v1 compatibility + DBRP), 3.x."""

    url: str = Field(default="http://localhost:8086", pattern=r"^https?://")
    database: str = Field(default="footfall", pattern=r"^[A-Za-z0-9_-]+$")
    username: str | None = None
    password: SecretRef | None = None
    token: SecretRef | None = None

    @model_validator(mode="after")
    def _one_auth(self) -> "Influx":
        if self.token is not None and (self.username or self.password):
            raise ValueError("use either token or username/password, not both")
        return self


class Store(Strict):
    """A store of a mall: the edge zones that belong to it."""

    id: Id
    zones: list[Id] = Field(min_length=1)
    floor: FloorPlan | None = Field(default=None, description="plan and camera placements for the heatmap (docs/heatmaps.md)")


class AlertWebhooks(Strict):
    """Where a site's recognition alerts go (docs/privacy.md): https URLs of the CRM and of the security desk."""

    vip: str | None = Field(default=None, pattern=r"^https?://", description="CRM: VIP alerts with the opaque ref")
    watchlist: str | None = Field(default=None, pattern=r"^https?://",
                                  description="security desk only: watchlist alerts, each to be confirmed by a person")


class Site(Strict):
    id: Id
    name: str = ""
    timezone: TimeZone
    # How long visits may be linked into one visitor; must match the edge rotation period.
    linkability: PeriodPolicy = "daily"
    stores: list[Store] = Field(default_factory=list)
    entrances: list[Id] = Field(default_factory=list, description="devices whose `in` visits start a trip (returning visitors)")
    reversed_entrances: list[Id] = Field(
        default_factory=list, description="entrances whose `in` arrow points out of the site (the second unit of a "
        "two-unit door, facing the leavers): their in and out are swapped at ingest, so stored figures are the site's")
    match_max_distance: int = Field(default=MATCH_MAX_DISTANCE, ge=1, le=CODE_BITS - 1,
                                    description=f"Hamming distance (of {CODE_BITS}) linking two visits")
    # How late a coded visit may arrive and still be linked (docs/linking.md): a code period's visitors are kept
    # until this long after the first visit of the next period arrived, then dropped with their checkpoint. Visits
    # of it arriving later are late: stored as visits (footfall), not linked, counted per device (fleet view).
    link_grace_s: float = Field(default=7200.0, ge=60.0, le=86400.0,
                                description="seconds an old code period keeps linking after the next one began")
    alert_webhooks: AlertWebhooks | None = None

    @model_validator(mode="after")
    def _reversed_are_entrances(self) -> "Site":
        if stray := sorted(set(self.reversed_entrances) - set(self.entrances)):
            raise ValueError(f"reversed_entrances {stray} are not in entrances")
        return self


class Api(Strict):
    """`footfall-cloud api`: REST API and dashboard (docs/api.md). Tokens and logins live in state_dir/api.sqlite."""

    host: str = "127.0.0.1"  # behind a TLS-terminating reverse proxy in production
    port: int = Field(default=8080, ge=1, le=65535)
    threads: int = Field(default=8, ge=1, le=64)
    secret_key: SecretRef | None = Field(default=None, description="signs session cookies; default: made once in state_dir")
    secure_cookies: bool = Field(default=True, description="session cookie only over HTTPS (false for plain-HTTP demos)")
    login_limit: str = Field(default="5 per minute", description="failed logins allowed per client address")
    proxy_hops: int = Field(default=0, ge=0, le=5,
                            description="reverse proxies in front whose X-Forwarded-For/-Proto/-Host are trusted "
                                        "(the client address the login limit counts by)")
    status_watch: bool = Field(default=True, description="listen to retained device status on the broker (fleet)")


class CloudConfig(Strict):
    mqtt: Mqtt = Mqtt()
    influx: Influx = Influx()
    sites: list[Site] = Field(min_length=1)
    shard: str = Field(default="0/1", pattern=r"^\d+/\d+$", description="i/n: this instance serves sites hashed to i")
    state_dir: Path = Path("/var/lib/footfall-cloud")
    api: Api = Api()
    reports: Reports | None = None  # email summaries (cloud/report, docs/reports.md)

    @model_validator(mode="after")
    def _checks(self) -> "CloudConfig":
        i, n = map(int, self.shard.split("/"))
        if not 0 <= i < n:
            raise ValueError(f"shard {self.shard!r}: need 0 <= i < n")
        ids = [s.id for s in self.sites]
        dupes = sorted({s for s in ids if ids.count(s) > 1})
        if dupes:
            raise ValueError(f"duplicate site ids: {', '.join(dupes)}")
        known = {(s.id, st.id) for s in self.sites for st in s.stores}
        for r in (self.reports.stores if self.reports else []):
            if (r.site, r.store) not in known:
                raise ValueError(f"reports.stores: {r.site}/{r.store} is not a store of a configured site")
        return self


def load(path: str | Path) -> CloudConfig:
    return load_config(path, CloudConfig)
