"""The weekly report's small floor map: the store's grid as a PNG for an inline CID image, red by person-seconds,
"<5" cells hatched grey, cells no camera covers left white. Drawn from the read layer's already k-blanked grid
(cloud/query/floor.py), so nothing hidden on the dashboard shows here either."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw

from footfall.cloud.query.privacy import SUPPRESSED

WIDTH_PX = 300
HEAT = (214, 39, 40)
GRID = (213, 219, 225)
OFF = (246, 247, 248)
HATCH = (154, 167, 180)


def floor_png(grid: dict) -> bytes | None:
    """PNG of the grid answer (`cloud.query.floor.floor_grid`), or None when no cell has a figure to show."""
    cols, rows = grid["grid"]
    w_m, h_m = grid["size_m"]
    cells = {c["cell"]: c for c in grid["cells"]}
    if not any(isinstance(c["person_s"], (int, float)) for c in cells.values()):
        return None
    cw = WIDTH_PX / cols
    ch = cw * (h_m / rows) / (w_m / cols)  # cells keep the floor's proportions
    img = Image.new("RGB", (WIDTH_PX, max(1, round(ch * rows))), "white")
    draw = ImageDraw.Draw(img)
    covered = set(grid["covered"])
    top = grid["max_person_s"] or 1
    for i in range(cols * rows):
        x0, y0 = (i % cols) * cw, (i // cols) * ch
        box = [x0, y0, x0 + cw - 1, y0 + ch - 1]
        c = cells.get(i)
        if i not in covered:
            draw.rectangle(box, fill=OFF)
        elif c is not None and c["person_s"] == SUPPRESSED:
            draw.rectangle(box, fill="white")
            for k in range(-int(ch), int(cw), 4):  # hatching: hidden for privacy
                draw.line([(x0 + k, y0 + ch - 1), (x0 + k + ch, y0)], fill=HATCH)
        elif c is not None:
            a = 0.12 + 0.8 * c["person_s"] / top
            draw.rectangle(box, fill=tuple(round(255 - a * (255 - v)) for v in HEAT))
        draw.rectangle(box, outline=GRID)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def busiest(grid: dict, n: int = 3) -> list[str]:
    """The plain-text part's lines: the n cells with most person-seconds."""
    shown = sorted((c for c in grid["cells"] if isinstance(c["person_s"], (int, float))), key=lambda c: -c["person_s"])
    return [f"column {c['col'] + 1}, row {c['row'] + 1}: {c['person_s']:,.0f} person-seconds, {c['tracks']} people"
            for c in shown[:n]]
