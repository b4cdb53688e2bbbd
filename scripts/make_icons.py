"""Draw Mailseal's app icons (an envelope with a seal, brand blue #1d4ed8) into pwa/icons/.

Standard library only: shapes are signed distance functions, anti-aliased by their distance in pixels,
written by a small zlib + struct PNG encoder. The SVG icon is written from the same geometry.
Run: python3 scripts/make_icons.py
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "pwa" / "icons"

Color = tuple[int, int, int, int]
Distance = Callable[[float, float], float]

BRAND: Color = (0x1D, 0x4E, 0xD8, 255)
SEAL: Color = (0x1E, 0x3A, 0x8A, 255)
WHITE: Color = (255, 255, 255, 255)

# Geometry in a unit square; everything fits the maskable safe zone (a circle of radius 0.4).
ENVELOPE = (0.5, 0.53, 0.27, 0.19, 0.035)  # centre x, centre y, half width, half height, corner radius
FLAP = ((0.25, 0.375), (0.5, 0.565), (0.75, 0.375))
FLAP_HALF_WIDTH = 0.022
SEAL_CENTRE = (0.69, 0.67)
SEAL_RING, SEAL_DISC = 0.135, 0.105
CHECK = ((0.64, 0.672), (0.678, 0.71), (0.742, 0.635))
CHECK_HALF_WIDTH = 0.017
CORNER = 0.2  # the rounded square behind the "any" icons


def round_rect(cx: float, cy: float, hx: float, hy: float, r: float) -> Distance:
    def distance(x: float, y: float) -> float:
        qx, qy = abs(x - cx) - hx + r, abs(y - cy) - hy + r
        return math.hypot(max(qx, 0.0), max(qy, 0.0)) + min(max(qx, qy), 0.0) - r

    return distance


def circle(cx: float, cy: float, r: float) -> Distance:
    return lambda x, y: math.hypot(x - cx, y - cy) - r


def polyline(points: Sequence[tuple[float, float]], half_width: float) -> Distance:
    segments = list(itertools.pairwise(points))

    def distance(x: float, y: float) -> float:
        best = math.inf
        for (ax, ay), (bx, by) in segments:
            dx, dy = bx - ax, by - ay
            t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
            best = min(best, math.hypot(x - ax - t * dx, y - ay - t * dy))
        return best - half_width

    return distance


def everywhere(_x: float, _y: float) -> float:
    return -1.0


Layer = tuple[Distance, Color | None]  # colour None erases what is below (for the monochrome badge)


def picture(background: Distance | None) -> list[Layer]:
    layers: list[Layer] = [] if background is None else [(background, BRAND)]
    return [
        *layers,
        (round_rect(*ENVELOPE), WHITE),
        (polyline(FLAP, FLAP_HALF_WIDTH), BRAND),
        (circle(*SEAL_CENTRE, SEAL_RING), WHITE),
        (circle(*SEAL_CENTRE, SEAL_DISC), SEAL),
        (polyline(CHECK, CHECK_HALF_WIDTH), WHITE),
    ]


def badge() -> list[Layer]:
    """White on transparent: Android draws notification badges from the alpha channel only."""
    return [
        (round_rect(*ENVELOPE), WHITE),
        (polyline(FLAP, FLAP_HALF_WIDTH), None),
        (circle(*SEAL_CENTRE, SEAL_RING), None),
        (circle(*SEAL_CENTRE, SEAL_DISC), WHITE),
        (polyline(CHECK, CHECK_HALF_WIDTH), None),
    ]


def render(layers: list[Layer], size: int) -> bytes:
    rows = bytearray()
    for py in range(size):
        rows.append(0)  # PNG filter: none
        y = (py + 0.5) / size
        for px in range(size):
            x = (px + 0.5) / size
            r = g = b = a = 0.0
            for distance, color in layers:
                cover = min(1.0, max(0.0, 0.5 - distance(x, y) * size))
                if cover == 0.0:
                    continue
                if color is None:
                    a *= 1.0 - cover
                    continue
                ca = cover * color[3] / 255
                out = ca + a * (1 - ca)
                if out > 0:
                    r = (color[0] * ca + r * a * (1 - ca)) / out
                    g = (color[1] * ca + g * a * (1 - ca)) / out
                    b = (color[2] * ca + b * a * (1 - ca)) / out
                a = out
            rows += bytes((round(r), round(g), round(b), round(a * 255)))
    return bytes(rows)


def png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def svg() -> str:
    def pts(points: Sequence[tuple[float, float]]) -> str:
        return " ".join(f"{x * 100:g},{y * 100:g}" for x, y in points)

    cx, cy, hx, hy, r = ENVELOPE
    sx, sy = SEAL_CENTRE
    hex_brand, hex_seal = "#1d4ed8", "#1e3a8a"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" rx="{CORNER * 100:g}" fill="{hex_brand}"/>'
        f'<rect x="{(cx - hx) * 100:g}" y="{(cy - hy) * 100:g}" width="{hx * 200:g}" height="{hy * 200:g}" '
        f'rx="{r * 100:g}" fill="#fff"/>'
        f'<polyline points="{pts(FLAP)}" fill="none" stroke="{hex_brand}" stroke-width="{FLAP_HALF_WIDTH * 200:g}" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
        f'<circle cx="{sx * 100:g}" cy="{sy * 100:g}" r="{SEAL_RING * 100:g}" fill="#fff"/>'
        f'<circle cx="{sx * 100:g}" cy="{sy * 100:g}" r="{SEAL_DISC * 100:g}" fill="{hex_seal}"/>'
        f'<polyline points="{pts(CHECK)}" fill="none" stroke="#fff" stroke-width="{CHECK_HALF_WIDTH * 200:g}" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
        "</svg>\n"
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rounded = round_rect(0.5, 0.5, 0.5, 0.5, CORNER)
    icons = {
        "icon-192.png": (picture(rounded), 192),
        "icon-512.png": (picture(rounded), 512),
        "icon-maskable-512.png": (picture(everywhere), 512),  # full bleed: the platform cuts the shape
        "apple-touch-icon.png": (picture(everywhere), 180),  # opaque: iOS fills transparency with black
        "badge-96.png": (badge(), 96),
    }
    for name, (layers, size) in icons.items():
        (OUT / name).write_bytes(png(size, render(layers, size)))
        print(f"{name}: {size}x{size}, {(OUT / name).stat().st_size} bytes")
    (OUT / "icon.svg").write_text(svg(), encoding="utf-8")
    print(f"icon.svg: {(OUT / 'icon.svg').stat().st_size} bytes")


if __name__ == "__main__":
    main()
