"""Images built in tests with Pillow: plain, noisy, with GPS EXIF, broken, bombs."""

from __future__ import annotations

import io
import random
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "#3366cc", mode: str = "RGB"
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


def noisy_bytes(fmt: str = "PNG", size: tuple[int, int] = (200, 200), seed: int = 1) -> bytes:
    """An image that does not compress: random pixels."""
    rng = random.Random(seed)
    raw = bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", size, raw).save(out, fmt)
    return out.getvalue()


def upload(
    data: bytes, name: str = "photo.png", content_type: str = "image/png"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_upload(name: str = "diagram.png") -> SimpleUploadedFile:
    return upload(image_bytes("PNG"), name)


GPS_LATITUDE = ((52, 1), (31, 1), (12, 1))


def jpeg_with_gps(size: tuple[int, int] = (80, 40)) -> bytes:
    """A JPEG whose EXIF holds a GPS position, a camera and orientation 6 (turn 90° clockwise)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", size, "#cc3333").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A PNG of a few hundred bytes whose header claims ``width`` x ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def bmp_bytes() -> bytes:
    """A real image, in a format that is not accepted."""
    return image_bytes("BMP", (16, 16))
