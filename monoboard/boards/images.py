"""Decoding, cleaning and shrinking uploaded images with Pillow.

An upload's type is decided by decoding it, never by its name or the
content type the browser sent. Only PNG, JPEG, WebP and GIF decoders are
tried. The size in pixels is checked from the header, before any pixel is
decoded, so a small file that would expand to gigabytes (a decompression
bomb) is refused cheaply. The image is then fully decoded (a truncated file
fails here) and re-encoded from its pixels alone: EXIF (GPS position, camera,
time), XMP and comments are dropped, after the EXIF orientation has been
applied to the pixels. Animated GIF and WebP keep their first frame; a GIF
is stored as PNG, which keeps its transparency and loses nothing.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED = ("PNG", "JPEG", "WEBP", "GIF")

#: Decoded format -> (stored format, content type, file extension).
STORED_AS: dict[str, tuple[str, str, str]] = {
    "PNG": ("PNG", "image/png", "png"),
    "GIF": ("PNG", "image/png", "png"),
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "WEBP": ("WEBP", "image/webp", "webp"),
}
THUMB_CONTENT_TYPE = "image/webp"


class ImageRefused(ValueError):
    """The upload is not an image we accept; the message says why, for the uploader."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _open(data: bytes, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRefused(
                f"This image is too large in pixels (at most {max_pixels:,} pixels)."
            ) from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise ImageRefused("This file is not a PNG, JPEG, WebP or GIF image.") from exc
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise ImageRefused(f"This image is too large in pixels (at most {max_pixels:,} pixels).")
    return image


def clean_image(data: bytes, *, max_pixels: int) -> CleanImage:
    """The image in ``data``, re-encoded without metadata. Raises ImageRefused."""
    image = _open(data, max_pixels)
    decoded_as = image.format or ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("This image is damaged or incomplete.") from exc
    fmt, content_type, extension = STORED_AS[decoded_as]
    pixels = _plain(upright, fmt)
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "WEBP":
        pixels.save(out, "WEBP", quality=88)
    else:
        pixels.save(out, "PNG", optimize=True)
    return CleanImage(
        data=out.getvalue(),
        content_type=content_type,
        extension=extension,
        width=pixels.width,
        height=pixels.height,
    )


def _plain(image: Image.Image, fmt: str) -> Image.Image:
    """The pixels only, in a mode ``fmt`` can store, with no metadata carried along."""
    if fmt == "JPEG":
        wanted = "L" if image.mode in ("1", "L", "I", "I;16") else "RGB"
    elif image.mode in ("1", "L", "LA", "RGB", "RGBA"):
        wanted = image.mode
    else:  # palette (transparency lives in the palette info), CMYK, 16-bit, ...
        wanted = "RGBA"
    plain = image.convert(wanted) if image.mode != wanted else image.copy()
    plain.info = {}
    return plain


def thumbnail(data: bytes, *, box: int, max_pixels: int) -> bytes:
    """A WebP no larger than ``box`` on either side, of an image stored by clean_image."""
    image = _open(data, max_pixels)
    image.load()
    mode = "RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB"
    small = image.convert(mode)
    small.thumbnail((box, box))
    small.info = {}
    out = io.BytesIO()
    small.save(out, "WEBP", quality=80)
    return out.getvalue()
