"""Checks and conversions for the site's branding: logo, favicon, accent, CSS.

Uploaded images are decoded with Pillow and written again from the decoded
pixels, so what is stored and served is always a plain PNG (logo) or ICO
(favicon) made here, never the bytes someone uploaded.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import IO

from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

from monoboard.lib import colors

MAX_UPLOAD_BYTES = 1024 * 1024
MAX_PIXELS = 4096 * 4096
LOGO_BOX = (480, 96)
FAVICON_SIZES = [(16, 16), (32, 32), (48, 48)]
CSS_MAX = 20_000
_CSS_REFUSED = re.compile(
    r"@import|expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding|</|<!--|\\",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"url\s*\(\s*['\"]?\s*(?!data:image/)", re.IGNORECASE)


def _decode(upload: IO[bytes], field: str) -> Image.Image:
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError({field: "The image is larger than 1 MB."})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # structure check; the image must be opened again to use it
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError({field: "The image is larger than 4096 by 4096 pixels."})
        image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError({field: "This file is not an image we can read."}) from exc
    return image.convert("RGBA")


def logo_png(upload: IO[bytes]) -> bytes:
    """The uploaded logo, fitted into LOGO_BOX and re-encoded as PNG."""
    image = _decode(upload, "logo")
    image.thumbnail(LOGO_BOX)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def favicon_ico(upload: IO[bytes]) -> bytes:
    """The uploaded icon, made square and re-encoded as a multi-size ICO."""
    image = _decode(upload, "favicon")
    side = max(image.width, image.height)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    out = io.BytesIO()
    square.resize((48, 48)).save(out, format="ICO", sizes=FAVICON_SIZES)
    return out.getvalue()


def storage_name(kind: str, data: bytes, ext: str) -> str:
    """A content-addressed name, so a new upload never serves a cached old one."""
    return f"branding/{kind}-{hashlib.sha256(data).hexdigest()[:16]}.{ext}"


def clean_accent(value: str) -> str:
    value = (value or "").strip().lower()
    if value and not colors.HEX.match(value):
        raise ValidationError({"accent_color": "Use a colour like #4f46e5."})
    return value


def clean_css(text: str) -> str:
    """Admins' CSS, served alone as text/css: refuse what could load other
    resources or run script in old browsers, and anything that looks like markup."""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > CSS_MAX:
        raise ValidationError({"custom_css": f"Keep custom CSS under {CSS_MAX} characters."})
    found = _CSS_REFUSED.search(text) or _CSS_URL.search(text)
    if found:
        raise ValidationError(
            {"custom_css": f"Custom CSS may not contain “{found.group(0).strip()}”."}
        )
    return text


def accent_css(accent: str) -> str:
    """Custom properties for the accent, adjusted so that links and white
    button text keep 4.5:1 on the light theme and links on the dark one."""
    if not accent:
        return ""
    light = colors.readable_ink(accent, "#ffffff", tint=0.0)
    dark = colors.readable_ink(accent, "#1b1e26", tint=0.0)
    base = colors.parse_hex(light)
    strong = colors.to_hex(colors.mix((0, 0, 0), base, 0.15))
    soft = colors.to_hex(colors.mix(base, (255, 255, 255), 0.1))
    dark_rgb = colors.parse_hex(dark)
    dark_strong = colors.to_hex(colors.mix((255, 255, 255), dark_rgb, 0.15))
    dark_soft = colors.to_hex(colors.mix(dark_rgb, (27, 30, 38), 0.2))
    return (
        f":root {{ --accent: {light}; --accent-strong: {strong}; --accent-soft: {soft}; }}\n"
        "@media (prefers-color-scheme: dark) {\n"
        f"  :root {{ --accent: {dark}; --accent-strong: {dark_strong}; "
        f"--accent-soft: {dark_soft}; }}\n"
        "}\n"
    )
