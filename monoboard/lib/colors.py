"""Colour arithmetic for readable text on an admin-chosen colour (WCAG 2.1)."""

from __future__ import annotations

import functools
import re

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
AA = 4.5  # WCAG 2.1 AA contrast for ordinary text

RGB = tuple[float, float, float]


def parse_hex(color: str) -> RGB:
    if not HEX.match(color or ""):
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))


def to_hex(rgb: RGB) -> str:
    return "#" + "".join(f"{round(max(0.0, min(255.0, c))):02x}" for c in rgb)


def luminance(rgb: RGB) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: RGB, b: RGB, share_of_a: float) -> RGB:
    return (
        a[0] * share_of_a + b[0] * (1 - share_of_a),
        a[1] * share_of_a + b[1] * (1 - share_of_a),
        a[2] * share_of_a + b[2] * (1 - share_of_a),
    )


@functools.lru_cache(maxsize=1024)
def readable_ink(color: str, surface: str = "#ffffff", tint: float = 0.14) -> str:
    """The colour closest to ``color`` (mixed towards black, or white on a dark
    surface) that reaches 4.5:1 on ``color`` tinted ``tint`` over ``surface``.

    Cached: a page of search results asks it for every hit's status pill, and
    a site has a handful of status colours."""
    base, ground = parse_hex(color), parse_hex(surface)
    background = mix(base, ground, tint)
    target: RGB = (0.0, 0.0, 0.0) if luminance(ground) > 0.18 else (255.0, 255.0, 255.0)
    for step in range(0, 101, 2):
        ink = mix(target, base, step / 100)
        if contrast(ink, background) >= AA + 0.05:
            return to_hex(ink)
    return to_hex(target)


def text_on(color: str) -> str:
    """Black or white, whichever reads better on a solid ``color``."""
    rgb = parse_hex(color)
    return "#000000" if contrast(rgb, (0, 0, 0)) >= contrast(rgb, (255, 255, 255)) else "#ffffff"
