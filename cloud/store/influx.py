"""A small adapter over the HTTP API that InfluxDB 1.x, 2.x (v1 compatibility + DBRP) and 3.x all serve:
line protocol to /write, InfluxQL on /query. Callers never see which version answers."""
from __future__ import annotations

import re
from collections.abc import Iterable

import requests


class InfluxError(RuntimeError):
    """`status`: the HTTP status (None: no answer at all); `reason`: the database's own words."""

    def __init__(self, message: str, *, status: int | None, reason: str = ""):
        super().__init__(message)
        self.status = status
        self.reason = reason or message

    @property
    def retryable(self) -> bool:
        """The same request can succeed later as it is: no answer, the server's trouble (5xx) or too many requests."""
        return self.status is None or self.status >= 500 or self.status == 429

    @property
    def refused(self) -> bool:
        """The database refuses lines of this write for what they are (bad syntax, a field type conflict, beyond the
        retention policy, a cardinality limit, too large): sending them again cannot help. A partial write
        (1.x: 400 "partial write: ...") has stored the other lines."""
        return self.status in (400, 413, 422)

    @property
    def missing_database(self) -> bool:
        return self.status == 404 and "database not found" in self.reason

    @property
    def dropped(self) -> int | None:
        """How many points a partial write dropped, when the database says (1.x: "dropped=N")."""
        m = re.search(r"\bdropped=(\d+)", self.reason)
        return int(m.group(1)) if m else None

    @property
    def kind(self) -> str:
        """The reason without its details, to count refusals by: "field type conflict", "points beyond retention
        policy", "max-values-per-tag limit exceeded", "unable to parse", ..."""
        text = re.sub(r"^(failure writing points to database: )?(partial write: )?", "", self.reason.strip())
        return re.split(r"[:('\"]|\s+dropped=", text, maxsplit=1)[0].strip()[:80] or f"HTTP {self.status}"


def _reason(r: requests.Response) -> str:
    """The database's message: {"error": ...} (1.x, 3.x), {"message": ...} (2.x), or the body as it is."""
    try:
        body = r.json()
    except ValueError:
        return r.text.strip()[:500]
    if isinstance(body, dict) and (body.get("error") or body.get("message")):
        return str(body.get("error") or body.get("message"))[:500]
    return r.text.strip()[:500]


class InfluxV1:
    def __init__(self, url: str, database: str, *, username: str | None = None, password: str | None = None,
                 token: str | None = None, timeout_s: float = 10.0):
        self.url = url.rstrip("/")
        self.database = database
        self.timeout_s = timeout_s
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Token {token}"
        elif username:
            self.http.auth = (username, password or "")

    def _call(self, method: str, path: str, **kw) -> requests.Response:
        try:
            r = self.http.request(method, self.url + path, timeout=self.timeout_s, **kw)
        except requests.RequestException as e:
            raise InfluxError(f"{self.url}: {e.__class__.__name__}: {e}", status=None) from None
        if r.status_code >= 300:
            reason = _reason(r)
            raise InfluxError(f"{method} {path}: HTTP {r.status_code}: {reason[:300]}", status=r.status_code, reason=reason)
        return r

    def ensure_database(self) -> None:
        """CREATE DATABASE is idempotent on 1.x; on 2.x/3.x the bucket and DBRP mapping are made by the operator."""
        self._call("POST", "/query", params={"q": f'CREATE DATABASE "{self.database}"'})

    def write(self, lines: Iterable[str], precision: str = "ns") -> None:
        body = "\n".join(lines)
        if body:
            self._call("POST", "/write", params={"db": self.database, "precision": precision}, data=body.encode())

    def query(self, influxql: str) -> list[dict]:
        """Rows as dicts: column values plus the series tags (for GROUP BY queries)."""
        r = self._call("GET", "/query", params={"db": self.database, "q": influxql, "epoch": "s"})
        rows: list[dict] = []
        for result in r.json().get("results", []):
            if "error" in result:
                raise InfluxError(f"query {influxql!r}: {result['error']}", status=r.status_code, reason=result["error"])
            for series in result.get("series", []):
                tags = series.get("tags", {})
                for values in series.get("values", []):
                    rows.append({"_measurement": series.get("name"), **tags, **dict(zip(series["columns"], values))})
        return rows
