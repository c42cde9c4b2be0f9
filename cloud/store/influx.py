"""A small adapter over the HTTP API that InfluxDB 1.x, 2.x (v1 compatibility + DBRP) and 3.x all serve:
line protocol to /write, InfluxQL on /query. Callers never see which version answers."""
from __future__ import annotations

from collections.abc import Iterable

import requests


class InfluxError(RuntimeError):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


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
            raise InfluxError(f"{self.url}: {e.__class__.__name__}: {e}", retryable=True) from None
        if r.status_code >= 300:
            # 4xx other than 429 means the request itself is wrong: retrying cannot help.
            retryable = r.status_code >= 500 or r.status_code == 429
            raise InfluxError(f"{method} {path}: HTTP {r.status_code}: {r.text.strip()[:300]}", retryable=retryable)
        return r

    def ping(self) -> bool:
        try:
            return self.http.get(self.url + "/ping", timeout=self.timeout_s).status_code == 204
        except requests.RequestException:
            return False

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
                raise InfluxError(f"query {influxql!r}: {result['error']}", retryable=False)
            for series in result.get("series", []):
                tags = series.get("tags", {})
                for values in series.get("values", []):
                    rows.append({"_measurement": series.get("name"), **tags, **dict(zip(series["columns"], values))})
        return rows
