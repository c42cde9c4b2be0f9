"""Typed wire messages. Every payload is one JSON object; `kind` selects the model.

Models forbid unknown keys and bound every string and list: a message has no room for an image or an
embedding, so a misbehaving edge build cannot leak one through a field nobody looks at.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from .contract import CODE_PATTERN, MAX_FLOOR_CELLS, MAX_FLOOR_COLS, MAX_FLOOR_ROWS, PERIOD_ID_PATTERN, AgeBand, Gender
from .topics import ID_PATTERN, TopicError, parse_topic

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 64 * 1024

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
MsgId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
# CODE_BITS sign bits of the keyed projection, hex: the only identity-derived value on the wire.
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
# daily 2026-11-22, weekly 2026-W47, monthly 2026-11
PeriodId = Annotated[str, StringConstraints(pattern=PERIOD_ID_PATTERN)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Seconds = Annotated[float, Field(ge=0, le=10_000_000)]


class ProtocolError(ValueError):
    """A payload or topic that breaks the wire contract; `field` names where."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, str_max_length=128)


class _Envelope(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    msg_id: MsgId = Field(default_factory=lambda: uuid.uuid4().hex)
    site: Id
    device: Id
    seq: Annotated[int, Field(ge=0)]
    ts: AwareDatetime


class LineCount(_Model):
    line: Id
    in_: Count = Field(alias="in")
    out: Count


class ZoneCount(_Model):
    zone: Id
    entries: Count
    exits: Count
    occupancy_max: Count
    occupancy_mean: Seconds
    dwell_s_sum: Seconds = 0.0  # summed over stays that ended in this interval
    dwell_n: Count = 0
    # only where a staff list is enabled: customers' waits in the zone until staff were present
    staff_wait_s_sum: Seconds | None = None
    staff_wait_n: Count | None = None  # customers staff reached (a wait of 0 when staff were there already)
    unattended: Count | None = None  # customers who left the zone before any staff came


class DisplayCount(_Model):
    display: Id
    passers: Count
    viewers: Count
    look_s_sum: Seconds = 0.0


class DeviceVisitors(_Model):
    """Privacy level `device`: unique / returning decided on the device, codes never leave it."""

    unique: Count
    returning: Count


class FloorGrid(_Model):
    """Floor heatmap of one interval (docs/heatmaps.md): the store's cols x rows grid, and only the cells someone
    stood in, each [cell, person_s, tracks]: cell = row * cols + col, person-seconds spent in it, and tracks that
    touched it for the first time (so tracks sum over intervals to distinct tracks). No track id, no position."""

    grid: tuple[Annotated[int, Field(ge=1, le=MAX_FLOOR_COLS)], Annotated[int, Field(ge=1, le=MAX_FLOOR_ROWS)]]
    cells: list[tuple[Annotated[int, Field(ge=0, lt=MAX_FLOOR_CELLS)], Seconds, Count]] = Field(
        default_factory=list, max_length=MAX_FLOOR_CELLS)

    @model_validator(mode="after")
    def _on_grid(self) -> "FloorGrid":
        n = self.grid[0] * self.grid[1]
        seen = set()
        for cell, _, _ in self.cells:
            if cell >= n or cell in seen:
                raise ValueError(f"cell {cell} is off the {self.grid[0]} x {self.grid[1]} grid or repeated")
            seen.add(cell)
        return self


class AudienceCounts(_Model):
    """Opt-in (privacy.audience.age_gender): tracks finished in the interval, per age band and per gender. Keys are
    the bands themselves, so the dicts are bounded by the contract; no visitor, code or estimate per person."""

    age: dict[AgeBand, Count] = Field(default_factory=dict)
    gender: dict[Gender, Count] = Field(default_factory=dict)


class ReactionCount(_Model):
    """Opt-in (privacy.audience.reactions): looks at one display ended in the interval, by their summary."""

    display: Id
    delighted: Count = 0
    neutral: Count = 0
    disinterested: Count = 0
    look_s_sum: Seconds = 0.0  # of these looks: mean attention time = look_s_sum / looks


class StaffPresence(_Model):
    """Recognised (enrolled, consented) staff on camera in the interval: never who, only how much."""

    present_s: Seconds  # staff-seconds, summed over staff tracks
    people: Count  # staff tracks seen


class CountsMessage(_Envelope):
    kind: Literal["counts"] = "counts"
    interval_start: AwareDatetime  # points are keyed by it, so a redelivery rewrites, never adds
    interval_s: Annotated[int, Field(ge=1, le=3600)]
    lines: list[LineCount] = Field(default_factory=list, max_length=64)
    zones: list[ZoneCount] = Field(default_factory=list, max_length=64)
    displays: list[DisplayCount] = Field(default_factory=list, max_length=64)
    visitors: DeviceVisitors | None = None
    floor: FloorGrid | None = None  # units with `heatmap` enabled
    audience: AudienceCounts | None = None
    reactions: list[ReactionCount] | None = Field(default=None, max_length=64)  # None (left out): not switched on
    staff: StaffPresence | None = None  # only where a staff list is enabled


class VisitMessage(_Envelope):
    kind: Literal["visits"] = "visits"
    track: Annotated[int, Field(ge=0)]  # device-local track number, for logs only
    code: Code | None = None  # only at privacy level `site`
    period: PeriodId | None = None
    zone: Id | None = None
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    direction: Literal["in", "out"] | None = None
    line: Id | None = None
    quality: Annotated[float, Field(ge=0, le=1)]
    looked_s: Seconds | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "VisitMessage":
        if self.last_seen < self.first_seen:
            raise ValueError("last_seen is before first_seen")
        if self.code is not None and self.period is None:
            raise ValueError("a code needs the period it was made in")
        return self


class HealthMessage(_Envelope):
    kind: Literal["health"] = "health"
    uptime_s: Seconds
    fps: Annotated[float, Field(ge=0, le=1000)]
    stage_ms: dict[Annotated[str, StringConstraints(max_length=32)], Seconds] = Field(default_factory=dict, max_length=16)
    dropped_frames: Count = 0
    outbox_depth: Count = 0
    outbox_dropped: Count = 0
    cpu_temp_c: Annotated[float, Field(ge=-50, le=150)] | None = None
    camera: Literal["ok", "frozen", "dark", "moved", "lost"] = "ok"
    models: dict[Annotated[str, StringConstraints(max_length=64)], Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")]] = Field(default_factory=dict, max_length=16)
    clock_synced: bool | None = None
    # since the previous health message: tracks started, and of them those continued across a gap (a face hidden by
    # another walker, re-identified); line crossings, and of them those decided with low confidence (the side before
    # the gap came from a join by motion alone). High shares point at a badly placed camera.
    tracks: Count = 0
    tracks_joined: Count = 0
    crossings: Count = 0
    crossings_uncertain: Count = 0


class StatusMessage(_Envelope):
    kind: Literal["status"] = "status"
    state: Literal["online", "offline"]
    version: Annotated[str, StringConstraints(max_length=32)]


class AlertMessage(_Envelope):
    """Opt-in lists only (VIP, watchlist): `entry` is the enrolment's pseudonymous id, never a code."""

    kind: Literal["alerts"] = "alerts"
    list: Literal["vip", "watchlist"]
    entry: Id
    zone: Id | None = None
    seen_at: AwareDatetime
    score: Annotated[float, Field(ge=0, le=1)]


class AuditMessage(_Envelope):
    """One line of the unit's recognition audit log: what happened to an enrolment, never a face. `ref_tag` is the
    keyed tag the unit's log uses (HMAC with the gallery key, which the cloud never holds): whoever holds the key and
    a ref can check its history; the cloud cannot read a ref out of it."""

    kind: Literal["audit"] = "audit"
    event: Literal["enroll", "remove", "expire", "match", "feedback"]
    list: Literal["vip", "staff", "watchlist"]
    ref_tag: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]
    at: AwareDatetime


Message = Annotated[
    Union[CountsMessage, VisitMessage, HealthMessage, StatusMessage, AlertMessage, AuditMessage],
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)


def encode(message: _Envelope) -> bytes:
    return message.model_dump_json(by_alias=True, exclude_none=True).encode()


def decode(payload: bytes | str) -> Message:
    """Validate one payload without a topic (outbox, dead-letter replays)."""
    if isinstance(payload, str):
        payload = payload.encode()
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("payload", f"{len(payload)} bytes exceeds the {MAX_PAYLOAD_BYTES} byte limit")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProtocolError("payload", f"not JSON: {e}") from None
    if not isinstance(data, dict):
        raise ProtocolError("payload", f"expected a JSON object, got {type(data).__name__}")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as e:
        first = e.errors()[0]
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            raise ProtocolError("kind", first["msg"]) from None
        # loc starts with the union tag (e.g. 'counts') once the kind is known; drop it.
        loc = [str(p) for p in first["loc"]]
        if loc and loc[0] == data.get("kind"):
            loc = loc[1:]
        raise ProtocolError(".".join(loc) or "payload", first["msg"]) from None


def parse_message(topic: str, payload: bytes | str) -> Message:
    """Validate a received message against its topic: kind, site and device must agree."""
    try:
        t = parse_topic(topic)
    except TopicError as e:
        raise ProtocolError("topic", str(e)) from None
    message = decode(payload)
    if message.kind != t.kind.value:
        raise ProtocolError("kind", f"payload kind {message.kind!r} sent on a {t.kind.value!r} topic")
    if (message.site, message.device) != (t.site, t.device):
        raise ProtocolError("site", f"payload {message.site}/{message.device} sent on topic of {t.site}/{t.device}")
    return message


def interval_start(ts: datetime, interval_s: int) -> datetime:
    """Start of the interval holding ts. Intervals align to the Unix epoch, so every device agrees."""
    epoch = ts.timestamp()
    return datetime.fromtimestamp(epoch - epoch % interval_s, tz=ts.tzinfo)
