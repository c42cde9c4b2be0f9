"""Edge unit configuration (/etc/footfall/edge.yaml): one device, its camera, its lines, zones and displays."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from footfall.edge.audience.rules import audience_problem
from footfall.edge.capture.urls import credential_problem, is_url, redact, with_credentials
from footfall.edge.heatmap.settings import Heatmap
from footfall.protocol.configfile import Id, MqttSettings, SecretRef, Strict, TimeZone, load_config
from footfall.protocol.contract import PeriodPolicy

# Geometry is in normalised image coordinates (0..1) so it survives a resolution change.
Point = tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]]


class Rotation(Strict):
    """When anonymous codes change. Weekly or monthly links visits longer: only by explicit site policy."""

    period: PeriodPolicy = "daily"
    hour: int = Field(default=4, ge=0, le=23, description="local hour at which a new period starts")


class Audience(Strict):
    """Opt-in audience insights, off by default; where they may run: edge/audience/rules.py, docs/privacy.md."""

    age_gender: bool = Field(default=False, description="age band and gender once per track, published as counts only")
    reactions: bool = Field(default=False, description="delighted / neutral / disinterested per look at a display")
    min_quality: float = Field(default=0.35, ge=0, le=1, description=(
        "size x frontalness x sharpness a sighting needs to be estimated; poorer tracks count as unknown"))
    best_n: int = Field(default=3, ge=1, le=10, description="best sightings per track run through the age/gender model")
    max_age_sd: float = Field(default=12.0, gt=0, le=50, description=(
        "spread (years) of the age model's softmax above which the band is unknown"))
    min_gender_confidence: float = Field(default=0.7, ge=0.5, lt=1, description=(
        "probability of the likelier gender below which it is unknown; 0.7 left 9% of women and 4% of men unknown "
        "with none wrong, 0.8 left 24% of women unknown (docs/accuracy.md)"))
    delight: float = Field(default=0.5, gt=0, le=1, description="mean P(happy + surprise) over a look for delighted")
    frown: float = Field(default=0.4, gt=0, le=1, description="mean P(angry + disgust + sad) over a look for disinterested")
    threads: int = Field(default=1, ge=1, le=8)


class Privacy(Strict):
    level: Literal["counts", "device", "site"] = "site"
    jurisdiction: Literal["eu", "uk", "us", "us-il", "other"] = "eu"
    rotation: Rotation = Rotation()
    audience: Audience = Audience()

    @model_validator(mode="after")
    def _audience_allowed(self) -> "Privacy":
        a = self.audience
        if (problem := audience_problem(self.level, self.jurisdiction, a.age_gender, a.reactions)) is not None:
            raise ValueError(problem)
        return self


class RecognitionList(Strict):
    """One enrolled list. Present = enabled; every entry carries its own consent / legal-basis record id."""

    basis: str | None = Field(default=None, min_length=1, max_length=128, description=(
        "record id of the list's legal basis (watchlist: required under eu, uk, us)"))
    written_consent: bool = Field(default=False, description="a signed written release is kept per person (us-il)")
    threshold: float | None = Field(default=None, gt=0, lt=1, description="cosine threshold for this list (default: recognition.threshold)")


class Recognition(Strict):
    """Consented recognition (off unless this section is present): gallery encrypted on the device, never published."""

    gallery: Path = Path("/var/lib/footfall/gallery.enc")
    key: SecretRef = Field(description="32-byte gallery key, hex or raw: {credential: gallery-key} or {file: PATH}")
    audit_log: Path = Path("/var/lib/footfall/recognition-audit.jsonl")
    threshold: float = Field(default=0.6, gt=0, lt=1, description=(
        "cosine similarity a frame must reach (measured: docs/results/recognition.json)"))
    min_frames: int = Field(default=2, ge=1, le=10, description="distinct frames of a track that must agree")
    purge_every_s: int = Field(default=3600, ge=60, le=86400, description="expired entries are purged this often")
    vip: RecognitionList | None = None
    staff: RecognitionList | None = None
    watchlist: RecognitionList | None = None

    @property
    def lists(self) -> dict[str, RecognitionList]:
        return {n: s for n in ("vip", "staff", "watchlist") if (s := getattr(self, n)) is not None}


class Camera(Strict):
    """The camera. A stream's login is never part of `source`: `username`, and `password` from a credential."""

    model_config = ConfigDict(hide_input_in_errors=True)  # (merged with Strict's) errors never echo a URL

    source: str = Field(description="file path, rtsp:// URL (no login in it), /dev/videoN, 'picamera2' or a GStreamer pipeline")
    username: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[^:\s]+$",
                                 description="stream login (rtsp://, http:// sources)")
    password: SecretRef | None = Field(default=None, description="stream password: {credential: rtsp-password} or {file: PATH}")
    backend: Literal["auto", "opencv", "picamera2", "gstreamer"] = "auto"
    width: int = Field(default=1280, ge=160, le=4096)
    height: int = Field(default=720, ge=120, le=4096)
    fps: float = Field(default=15, gt=0, le=120)

    @field_validator("source")
    @classmethod
    def _no_clear_text_login(cls, source: str) -> str:
        if (problem := credential_problem(source)) is not None:
            raise ValueError(problem)
        return source

    @model_validator(mode="after")
    def _login_for_urls(self) -> "Camera":
        if self.password is not None and self.username is None:
            raise ValueError("camera.password needs camera.username")
        if self.username is not None and not is_url(self.source):
            raise ValueError("camera.username and camera.password apply to stream URLs (rtsp://, http://) only")
        return self

    def stream_source(self) -> str:
        """What the capture backend opens: `source` with the login put in. Never log it (`display_source` is)."""
        if self.username is None:
            return self.source
        password = self.password.read().decode() if self.password is not None else None
        if self.password is not None and not password:
            raise ValueError(f"camera.password: {self.password!r} is empty")
        return with_credentials(self.source, self.username, password)

    @property
    def display_source(self) -> str:
        return redact(self.source)


Region = tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)],
               Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]]


class PersonDetector(Strict):
    """Person mode: whole bodies (NanoDet, front and back views) drive lines and zones in both directions; faces,
    where one is seen, only attach an anonymous code to the body they belong to. Off by default (face mode)."""

    enabled: bool = False
    min_confidence: float = Field(default=0.5, gt=0, lt=1, description=(
        "NanoDet person score; below 0.5 traffic cones start to pass for people"))
    min_height_px: int = Field(default=24, ge=0, le=4096, description="smaller bodies are ignored")
    threads: int = Field(default=1, ge=1, le=8)
    every: int = Field(default=3, ge=1, le=15, description=(
        "while people are tracked the detector runs at least every n-th frame; the tracker's prediction carries "
        "the frames between"))
    motion: bool = Field(default=True, description=(
        "motion gating (grey frame differencing, as Frigate does): with nobody tracked the detector runs only "
        "while something moves, so a still, empty scene costs only the differencing"))


class Detector(Strict):
    model: Literal["full_range", "short_range"] = "full_range"
    min_confidence: float = Field(default=0.6, gt=0, lt=1, description="a face scoring this starts a track")
    follow_confidence: float | None = Field(default=0.4, gt=0, lt=1, description=(
        "faces down to this score carry a track on, and a run of them starts one once a face of it reaches "
        "min_confidence (ByteTrack's second threshold: a small or half-hidden face scores lower); none: "
        "min_confidence alone"))
    min_face_px: int = Field(default=20, ge=8, le=1024)
    threads: int = Field(default=1, ge=1, le=8)
    far_regions: list[Region] = Field(default_factory=list, max_length=4, description=(
        "x0, y0, x1, y1 (normalised) where walkers are far and faces small, e.g. around a door at the back: "
        "detected again at the region's own resolution (footfall-bench placement tells the face sizes)"))
    far_every: int = Field(default=1, ge=1, le=8, description=(
        "run the far-region pass at most on every n-th frame; the frames between reuse its faces (a far face moves "
        "a pixel or two a frame). 2 with far_motion: 1.1x MediaPipe's speed instead of 0.7x and the same crossings, "
        "but visitors coded less well on dense scenes (docs/benchmarks.md); for a unit short of CPU"))
    far_motion: bool = Field(default=False, description=(
        "run the far-region pass only while something moves in the regions (and once a second whatever): a face "
        "standing still stays where the last pass found it"))
    person: PersonDetector = PersonDetector()

    @model_validator(mode="after")
    def _follow_below_start(self) -> "Detector":
        if self.follow_confidence is not None and self.follow_confidence > self.min_confidence:
            raise ValueError("follow_confidence: at most min_confidence (it continues tracks, it does not start them)")
        return self

    @field_validator("far_regions")
    @classmethod
    def _regions(cls, regions: list) -> list:
        for x0, y0, x1, y1 in regions:
            if x1 - x0 < 0.05 or y1 - y0 < 0.05:
                raise ValueError(f"far region {[x0, y0, x1, y1]}: x1 > x0 and y1 > y0, each side at least 0.05")
        return regions


class Embedder(Strict):
    """Face embedding for anonymous codes (not used at privacy level `counts`)."""

    threads: int = Field(default=2, ge=1, le=8, description="runs once per track, not per frame: a second core pays off")
    best_n: int = Field(default=3, ge=1, le=10, description="sightings per track embedded and averaged")
    min_quality: float = Field(default=0.25, ge=0, le=1, description="size x frontalness x sharpness gate, 0..1")
    refine_keypoints: bool = Field(default=True, description="find a face's keypoints again on a close-up (short-range "
                                   "model) before the crop is coded: small faces' crops are aligned, and code alike")


class Line(Strict):
    """A counting line from a to b; crossing it towards the right-hand side of a->b counts as `in`."""

    id: Id
    a: Point
    b: Point

    @model_validator(mode="after")
    def _not_degenerate(self) -> "Line":
        if self.a == self.b:
            raise ValueError("a and b are the same point")
        return self


class Zone(Strict):
    id: Id
    polygon: list[Point] = Field(min_length=3, max_length=64)


class Display(Strict):
    id: Id
    zone: Id = Field(description="zone in front of the display: passers-by are tracks inside it")


class Mqtt(MqttSettings):
    client_id: str | None = None  # default: protocol.contract.edge_client_id(site, device)


class Outbox(Strict):
    dir: Path = Path("/var/lib/footfall")
    max_mb: int = Field(default=256, ge=1)


class EdgeConfig(Strict):
    model_config = ConfigDict(hide_input_in_errors=True)  # a refused camera URL is not repeated in the error

    site: Id
    device: Id
    role: Literal["entrance", "store", "display"]
    timezone: TimeZone
    privacy: Privacy = Privacy()
    site_secret: SecretRef | None = Field(default=None, description="keys the anonymous codes; required unless privacy.level is counts")
    camera: Camera
    detector: Detector = Detector()
    embedder: Embedder = Embedder()
    lines: list[Line] = Field(default_factory=list, max_length=16)
    zones: list[Zone] = Field(default_factory=list, max_length=16)
    displays: list[Display] = Field(default_factory=list, max_length=8)
    heatmap: Heatmap | None = Field(default=None, description="floor heatmap grid and mapping (docs/heatmaps.md)")
    interval_s: int = Field(default=60, ge=10, le=3600)
    mqtt: Mqtt = Mqtt()
    outbox: Outbox = Outbox()
    health_interval_s: int = Field(default=30, ge=5, le=3600)
    recognition: Recognition | None = None  # after `privacy`: its validator reads the validated privacy

    def read_site_secret(self) -> bytes | None:
        """The secret the codes need; None at privacy level `counts`, which never makes one."""
        return self.site_secret.read() if self.site_secret and self.privacy.level != "counts" else None

    @field_validator("recognition")
    @classmethod
    def _recognition_allowed(cls, rec: Recognition | None, info: ValidationInfo) -> Recognition | None:
        from footfall.edge.recognition.rules import refusals

        privacy, detector = info.data.get("privacy"), info.data.get("detector")
        if rec is not None and detector is not None and detector.person.enabled:
            raise ValueError("recognition runs in face mode only (detector.person.enabled: false)")
        if rec is not None and privacy is not None:
            if problems := refusals(privacy.level, privacy.jurisdiction, rec.lists):
                raise ValueError("; ".join(problems))
        return rec

    @model_validator(mode="after")
    def _consistent(self) -> "EdgeConfig":
        if self.privacy.level != "counts" and self.site_secret is None:
            raise ValueError(f"site_secret is required at privacy level {self.privacy.level!r}")
        ids = [x.id for x in (*self.lines, *self.zones, *self.displays)]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"ids must be unique across lines, zones and displays: {', '.join(dupes)}")
        a = self.privacy.audience
        if (a.age_gender or a.reactions) and self.detector.person.enabled:
            raise ValueError("privacy.audience works on face tracks only: it is refused with detector.person.enabled "
                             "(rule audience-face-mode)")
        zone_ids = {z.id for z in self.zones}
        for d in self.displays:
            if d.zone not in zone_ids:
                raise ValueError(f"display {d.id!r} refers to unknown zone {d.zone!r}")
        return self


def load(path: str | Path) -> EdgeConfig:
    return load_config(path, EdgeConfig)
