"""Image frames: how pixels travel beside a message's JSON header.

An image is described in the header by a descriptor ``{"width", "height", "channels",
"dtype"}`` and its pixels follow as one raw binary frame: rows top to bottom, pixels left to
right, channels interleaved, multi-byte samples little-endian. Channels: 1 gray, 2 gray + alpha,
3 RGB, 4 RGBA (sRGB-encoded, straight alpha). Sample types: ``u8`` (0–255), ``u16`` (0–65535),
``f32`` (IEEE float, 0.0–1.0). Pure Python, no numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BYTES_PER_SAMPLE = {"u8": 1, "u16": 2, "f32": 4}
DESCRIPTOR_FIELDS = ("width", "height", "channels", "dtype")
MAX_SIDE = 65536


def brief(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages about untrusted input."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class FramingError(ValueError):
    """An image descriptor or its pixel frame is not acceptable."""


class ImageTooLarge(FramingError):
    """An image has more pixels than the receiver accepts."""


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FramingError(f"image {name} must be a whole number, got {brief(value)}")
    if not low <= value <= high:
        raise FramingError(f"image {name} must be within {low}..{high}, got {value}")
    return value


def check_descriptor(descriptor: Any, max_pixels: int | None = None) -> tuple[int, int, int, str]:
    """Validate a descriptor; return ``(width, height, channels, dtype)``.

    Raises :class:`FramingError` naming the bad field, or :class:`ImageTooLarge` when
    ``width * height`` exceeds ``max_pixels``.
    """
    if not isinstance(descriptor, dict):
        raise FramingError(f"an image descriptor must be an object with "
                           f"{', '.join(DESCRIPTOR_FIELDS)}, got {type(descriptor).__name__}")
    missing = [name for name in DESCRIPTOR_FIELDS if name not in descriptor]
    unknown = sorted(set(descriptor) - set(DESCRIPTOR_FIELDS))
    if missing:
        raise FramingError(f"image descriptor lacks {', '.join(missing)}")
    if unknown:
        raise FramingError(f"image descriptor has unknown field(s) {', '.join(unknown)}; "
                           f"allowed: {', '.join(DESCRIPTOR_FIELDS)}")
    width = _whole("width", descriptor["width"], 1, MAX_SIDE)
    height = _whole("height", descriptor["height"], 1, MAX_SIDE)
    channels = _whole("channels", descriptor["channels"], 1, 4)
    dtype = descriptor["dtype"]
    if not isinstance(dtype, str) or dtype not in BYTES_PER_SAMPLE:
        raise FramingError(f"image dtype must be one of {', '.join(BYTES_PER_SAMPLE)}, "
                           f"got {brief(dtype)}")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLarge(f"the image is {width}x{height} = {width * height:,} pixels; this "
                            f"server accepts at most {max_pixels:,}: scale it down first")
    return width, height, channels, dtype


def frame_length(width: int, height: int, channels: int, dtype: str) -> int:
    """Bytes in the pixel frame of such an image."""
    return width * height * channels * BYTES_PER_SAMPLE[dtype]


def check_frame(descriptor: dict[str, Any], frame: Any, max_pixels: int | None = None) -> None:
    """Validate a descriptor and that ``frame`` (bytes-like) holds exactly its pixels."""
    width, height, channels, dtype = check_descriptor(descriptor, max_pixels)
    expected = frame_length(width, height, channels, dtype)
    got = memoryview(frame).nbytes
    if got != expected:
        raise FramingError(f"the pixel frame of a {width}x{height} {channels}-channel {dtype} "
                           f"image must hold {expected:,} bytes, it holds {got:,}")


@dataclass(frozen=True)
class ImageData:
    """Pixels as they travel: ``data`` holds ``height`` rows of ``width`` pixels of ``channels``
    interleaved samples of ``dtype`` (``u8``, ``u16`` or ``f32``, little-endian)."""

    width: int
    height: int
    channels: int
    dtype: str
    data: bytes

    def __post_init__(self) -> None:
        check_frame(self.descriptor(), self.data)

    @property
    def has_alpha(self) -> bool:
        return self.channels in (2, 4)

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def descriptor(self) -> dict[str, Any]:
        """The JSON header's description of this image."""
        return {"width": self.width, "height": self.height, "channels": self.channels,
                "dtype": self.dtype}

    @classmethod
    def from_frame(cls, descriptor: dict[str, Any], frame: Any,
                   max_pixels: int | None = None) -> ImageData:
        """Build from a header descriptor and its pixel frame, checking both."""
        check_descriptor(descriptor, max_pixels)
        return cls(descriptor["width"], descriptor["height"], descriptor["channels"],
                   descriptor["dtype"], bytes(frame))
