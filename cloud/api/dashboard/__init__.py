"""The web dashboard (docs/dashboard.md): server-rendered page shells, scoped like the API, whose static script
fetches the JSON API (/api/v1) with the session cookie and draws tables and Chart.js charts. Figures are rendered
as the API returns them ("<5" included), never recomputed. app.py registers `bp` when this package is installed."""
from .pages import bp

__all__ = ["bp"]
