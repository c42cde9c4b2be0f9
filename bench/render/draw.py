"""Drawing: a procedural background per device and people (body, head, face sprite) at their keyframed spots."""
from __future__ import annotations

import cv2
import numpy as np

from .layout import Layout
from .plan import Walk


def background(lay: Layout, w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    wall = rng.integers(150, 210, 3)
    floor = rng.integers(90, 150, 3)
    horizon = int(0.3 * h)
    img[:horizon] = wall
    for y in range(horizon, h):  # floor brightens towards the camera
        img[y] = np.clip(floor * (0.8 + 0.4 * (y - horizon) / (h - horizon)), 0, 255)
    for i in range(-12, 13):  # floor tiles converging to a vanishing point
        cv2.line(img, (w // 2 + i * w // 40, horizon), (w // 2 + i * w // 6, h), (floor * 0.7).tolist(), 1, cv2.LINE_AA)
    if lay.role == "entrance":
        cv2.rectangle(img, (int(0.3 * w), int(0.04 * h)), (int(0.7 * w), horizon), (200, 215, 225), -1)  # glass door
        cv2.rectangle(img, (int(0.3 * w), int(0.04 * h)), (int(0.7 * w), horizon), (80, 80, 80), 4)
    elif lay.role == "store":
        for k in range(6):  # shelves along the walls
            x = int((0.02 + 0.165 * k) * w)
            colour = rng.integers(40, 200, 3).tolist()
            cv2.rectangle(img, (x, int(0.06 * h)), (x + int(0.13 * w), horizon - 4), colour, -1)
    else:
        cv2.rectangle(img, (int(0.05 * w), int(0.05 * h)), (int(0.95 * w), int(0.25 * h)), (60, 50, 40), -1)  # shop fronts
    noise = rng.normal(0, 4, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _paste(canvas: np.ndarray, image: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    h, w = image.shape[:2]
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x0 >= x1 or y0 >= y1:
        return
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x, None]
    region = canvas[y0:y1, x0:x1]
    region[:] = (image[y0 - y:y1 - y, x0 - x:x1 - x] * a + region * (1 - a)).astype(np.uint8)


def draw_person(canvas: np.ndarray, walk: Walk, x: float, y: float, face_h: float, facing: str) -> None:
    H, W = canvas.shape[:2]
    cx, cy, fh = x * W, y * H, face_h
    st = walk.style
    # body below the head: torso, arms, legs (mostly out of the image when the person is close)
    top = int(cy + 0.65 * fh)
    cv2.rectangle(canvas, (int(cx - 1.25 * fh), top), (int(cx + 1.25 * fh), int(cy + 3.6 * fh)), st["shirt"], -1)
    cv2.rectangle(canvas, (int(cx - 1.0 * fh), int(cy + 3.6 * fh)), (int(cx + 1.0 * fh), int(cy + 7.0 * fh)), st["trousers"], -1)
    cv2.rectangle(canvas, (int(cx - 1.6 * fh), top + 4), (int(cx - 1.25 * fh), int(cy + 3.3 * fh)), st["shirt"], -1)
    cv2.rectangle(canvas, (int(cx + 1.25 * fh), top + 4), (int(cx + 1.6 * fh), int(cy + 3.3 * fh)), st["shirt"], -1)
    cv2.rectangle(canvas, (int(cx - 0.25 * fh), int(cy + 0.4 * fh)), (int(cx + 0.25 * fh), top + 2), (150, 170, 200), -1)
    if facing == "front":
        s = walk.sprite
        scale = fh / s.face_h
        size = (max(1, round(s.image.shape[1] * scale)), max(1, round(s.image.shape[0] * scale)))
        img = cv2.resize(s.image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        alpha = cv2.resize(s.alpha, size, interpolation=cv2.INTER_LINEAR)
        img = np.clip(img.astype(np.float32) * st["gain"], 0, 255)
        if st["blur"] > 0.2:
            img = cv2.GaussianBlur(img, (0, 0), st["blur"])
        _paste(canvas, img, alpha, int(cx - s.face_centre[0] * scale), int(cy - s.face_centre[1] * scale))
    else:  # back or side of the head: hair, and for a profile an ear-side patch of skin
        axes = (int(0.62 * fh), int(0.72 * fh))
        if facing == "side":
            cv2.ellipse(canvas, (int(cx), int(cy)), axes, 0, 0, 360, (120, 150, 190), -1)
            cv2.ellipse(canvas, (int(cx), int(cy - 0.1 * fh)), axes, 0, 180, 360, st["hair"], -1)
        elif facing == "down":  # looking down at a phone: the top of the head, a strip of forehead, a phone
            cv2.ellipse(canvas, (int(cx), int(cy)), axes, 0, 0, 360, (120, 150, 190), -1)
            cv2.ellipse(canvas, (int(cx), int(cy - 0.25 * fh)), axes, 0, 0, 360, st["hair"], -1)
            cv2.rectangle(canvas, (int(cx - 0.2 * fh), int(cy + 0.75 * fh)), (int(cx + 0.2 * fh), int(cy + 1.1 * fh)),
                          (30, 30, 30), -1)
        else:
            cv2.ellipse(canvas, (int(cx), int(cy)), axes, 0, 0, 360, st["hair"], -1)


def noise_bank(shape: tuple, sigma: float, rng: np.random.Generator, n: int = 6) -> list[np.ndarray]:
    """A few frames of sensor noise, cycled: drawing fresh noise for every frame costs more than the rest."""
    return [rng.normal(0, sigma, shape).astype(np.int16) for _ in range(n)] if sigma > 0 else []


def placed_at(walks: list[Walk], t: float) -> list[tuple[tuple[float, float, float, str], Walk]]:
    """Who is where at t, in drawing order: far (small faces) first, so nearer people cover farther ones."""
    placed = [(p, w) for w in walks if (p := w.at(t)) is not None]
    return sorted(placed, key=lambda pw: pw[0][2])


def compose(bg: np.ndarray, walks: list[Walk], t: float, noise: np.ndarray | None) -> np.ndarray:
    canvas = bg.copy()
    for (x, y, fh, facing), w in placed_at(walks, t):
        draw_person(canvas, w, x, y, fh, facing)
    if noise is not None:
        canvas = np.clip(canvas + noise, 0, 255).astype(np.uint8)
    return canvas
