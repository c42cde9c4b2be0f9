"""Stream URLs and their credentials: kept out of edge.yaml, added only when the stream is opened, never logged.

edge.yaml names the stream without a login (`rtsp://10.0.0.21:554/stream1`) and gives `camera.username` plus
`camera.password: {credential: rtsp-password}`; `with_credentials` builds the URL OpenCV opens, `redact` is the
only form that reaches logs, errors and frames.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

# keys of a query string that carry a password (some cameras take ?user=..&password=..)
SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "pass", "pw"})
_URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://(\S*)", re.IGNORECASE)  # to the next blank (pipelines hold several)
_PIPELINE_SECRET = re.compile(r"\b(user-pw|proxy-pw)\s*=\s*(\"[^\"]*\"|\S+)", re.IGNORECASE)


def is_url(source: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE))


def has_login(source: str) -> bool:
    return is_url(source) and "@" in source.split()[0]


def credential_problem(source: str) -> str | None:
    """Why `source` carries a credential in clear text (what to do instead), or None if it does not."""
    how = "give camera.username and camera.password: {credential: rtsp-password} (or {file: PATH}) instead"
    for m in _URL.finditer(source):
        if "@" in m.group(2):  # a password may hold '/', '?' or '#': any '@' in the URL counts
            return f"the URL carries a login (user:password@) in clear text: remove it and {how}"
        query = urlsplit(m.group(0)).query
        if any(k.lower() in SECRET_QUERY_KEYS for k, _ in parse_qsl(query, keep_blank_values=True)):
            return f"the URL's query string carries a password in clear text: remove it and {how}"
    if _PIPELINE_SECRET.search(source):
        return "the pipeline carries a password (user-pw=) in clear text: use an rtsp:// source with " \
               "camera.username and camera.password: {credential: rtsp-password} instead"
    return None


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """`url` with `username[:password]@` put in (percent-encoded: any character may be in a password)."""
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc.rpartition('@')[2]}"))


def redact(source: str) -> str:
    """`source` fit for a log line: passwords in URLs (userinfo, query, pipeline properties) become ***."""

    def url(m: re.Match) -> str:
        scheme, rest = m.group(1), m.group(2)
        if "@" not in rest:
            return m.group(0)
        userinfo, _, host = rest.rpartition("@")  # everything up to the last '@' may be the password
        return f"{scheme}://{userinfo.split(':', 1)[0].split('/', 1)[0]}:***@{host}"

    def query(m: re.Match) -> str:
        return m.group(1) + "***"

    out = _URL.sub(url, source)
    out = re.sub(r"([?&](?:%s)=)[^&#\s]*" % "|".join(SECRET_QUERY_KEYS), query, out, flags=re.IGNORECASE)
    return _PIPELINE_SECRET.sub(lambda m: f"{m.group(1)}=***", out)
