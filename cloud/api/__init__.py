"""REST API and web login (docs/api.md); the dashboard registers itself as footfall.cloud.api.dashboard."""
from .app import create_app, serve

__all__ = ["create_app", "serve"]
