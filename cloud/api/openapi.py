"""The OpenAPI 3.1 document of /api/v1, made from the route declarations (api_v1.SPECS); tests check it against
the app's real routes and validate it with openapi-spec-validator."""
from __future__ import annotations

import re

from footfall.cloud import __version__
from footfall.cloud.query import INTERVALS

PARAMS = {
    "from": {"description": "start: a local date (YYYY-MM-DD) or an ISO 8601 datetime (naive = the site's local time); "
                            "default: the start of today (alerts and gaps: 7 days back)",
             "schema": {"type": "string"}},
    "to": {"description": "end: a date (included) or a datetime (excluded); default: now", "schema": {"type": "string"}},
    "interval": {"description": "interval in the site's time zone", "schema": {"type": "string", "enum": list(INTERVALS)}},
    "hours": {"description": "local hours of the day: 9-12 (9:00 to 12:00), 18, or 22-2 across midnight; default: all",
              "schema": {"type": "string", "pattern": "^\\d{1,2}(-\\d{1,2})?$"}},
    "format": {"description": "json (default) or csv: the answer's table as CSV",
               "schema": {"type": "string", "enum": ["json", "csv"]}},
}
ROLES_OF = {"public": "anyone", "org": "every role (filtered to what the caller may see)", "site": "admin, analyst",
            "store": "admin, analyst, the store's manager", "store-write": "admin, analyst, the store's manager",
            "fleet": "admin, analyst, installer", "security": "security", "crm": "crm"}
ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _content(s) -> dict:
    if s.path.endswith(".csv"):
        return {"text/csv": {"schema": {"type": "string"}}}
    schema = {"$ref": f"#/components/schemas/{s.answer}"} if s.answer else {"type": "object"}
    out = {"application/json": {"schema": schema}}
    if s.csv and s.method == "GET":
        out["text/csv"] = {"schema": {"type": "string", "description": "with format=csv"}}
    return out


def document(specs) -> dict:
    paths: dict[str, dict] = {}
    for s in specs:
        op = {"summary": s.summary, "operationId": f"{s.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', s.path.lower()).strip('_') or 'root'}",
              "description": f"Access: {ROLES_OF[s.scope]}.", "x-scope": s.scope,
              "parameters": [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                             for n in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", s.path)]
              + [{"name": n, "in": "query", "required": False, **PARAMS[n]}
                 for n in (*s.params, *(("format",) if s.csv and s.method == "GET" else ()))],
              "responses": {"200": {"description": "OK", "content": _content(s)},
                            "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR}}
        if s.scope == "public":
            op["security"] = []
            op["responses"] = {"200": op["responses"]["200"]}
        if s.body == "transactions":
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Transactions"}},
                "text/csv": {"schema": {"type": "string", "description": "header start,transactions,revenue"}}}}
        paths.setdefault("/api/v1" + openapi_path(s.path), {})[s.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Footfall API", "version": __version__,
                 "description": "Visitor analytics of the organisation's sites and stores. Figures resting on fewer than "
                                "5 visitors are the string \"<5\"."},
        "security": [{"token": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "made by `footfall-cloud token create`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "web login; unsafe methods need the X-CSRFToken header"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {
                    "error": {"type": "string"}, "field": {"type": "string", "description": "the parameter at fault"}}},
                "Cell": {"description": "a figure; the string \"<5\" when fewer than 5 visitors stand behind it",
                         "oneOf": [{"type": "number"}, {"type": "string", "enum": ["<5"]}, {"type": "null"}]},
                "Series": {"type": "object", "required": ["rows"], "properties": {
                    "rows": {"type": "array", "description": "one per interval of the range, local start time",
                             "items": {"type": "object", "required": ["start"], "properties": {
                                 "start": {"type": "string", "format": "date-time"}},
                                 "additionalProperties": {"$ref": "#/components/schemas/Cell"}}},
                    "total": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Cell"}}}},
                "FloorGrid": {"type": "object", "required": ["grid", "cells"], "properties": {
                    "grid": {"type": "array", "items": {"type": "integer"}, "description": "cols, rows"},
                    "size_m": {"type": "array", "items": {"type": "number"}, "description": "plan width, depth, metres"},
                    "hours": {"oneOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}]},
                    "max_person_s": {"type": "number"},
                    "covered": {"type": "array", "items": {"type": "integer"}, "description": "cells a camera covers"},
                    "cells": {"type": "array", "description": "cells with data, row-major index",
                              "items": {"type": "object", "required": ["cell", "col", "row", "person_s", "tracks"],
                                        "properties": {"cell": {"type": "integer"}, "col": {"type": "integer"},
                                                       "row": {"type": "integer"},
                                                       "person_s": {"$ref": "#/components/schemas/Cell"},
                                                       "tracks": {"$ref": "#/components/schemas/Cell"}}}}}},
                "Transactions": {"oneOf": [
                    {"type": "array", "items": {"$ref": "#/components/schemas/Transaction"}},
                    {"type": "object", "required": ["transactions"], "properties": {
                        "transactions": {"type": "array", "items": {"$ref": "#/components/schemas/Transaction"}}}}]},
                "Transaction": {"type": "object", "required": ["start", "transactions"], "additionalProperties": False,
                                "properties": {"start": {"type": "string", "description": "period start (naive: local time)"},
                                               "transactions": {"type": "integer", "minimum": 0},
                                               "revenue": {"type": "number", "minimum": 0}}},
            },
        },
    }
