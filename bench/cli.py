"""footfall-bench: scene renderer, benchmarks and installer tools."""
from __future__ import annotations

import click


@click.group()
def main() -> None:
    """Footfall benchmarks and tools (render scenes, placement calculator)."""


if __name__ == "__main__":
    main()
