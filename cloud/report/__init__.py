"""Daily store summaries and weekly / monthly reports by email (issue 14; docs/reports.md).

Kept import-light: cloud/config.py imports `settings` from here, so nothing heavy (matplotlib, Jinja2) is
imported at package level.
"""
