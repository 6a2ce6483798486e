"""Real photographs for tests and benchmarks, taken from installed or registry packages.

Nothing here is committed: scikit-image ships the astronaut and textures; Debian's
``opencv-doc`` package ships portraits, a group photo and Starry Night, which we download with
apt and unpack (no install) into a cache folder outside the repository.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from filelock import FileLock
from PIL import Image

CACHE = Path(os.environ.get("PORTRAIT_TEST_CACHE",
                            Path.home() / ".cache" / "portrait-stylization-tests"))

OPENCV_DOC_FILES = {
    "starry_night": "usr/share/doc/opencv-doc/examples/data/starry_night.jpg",
    "messi": "usr/share/doc/opencv-doc/examples/data/messi5.jpg",
    "portrait_a": "usr/share/doc/opencv-doc/opencv4/html/227943776_1.jpg",
    "portrait_b": "usr/share/doc/opencv-doc/opencv4/html/230501201_1.jpg",
    "group": "usr/share/doc/opencv-doc/opencv4/html/example.jpg",
    # Three film stills, each the "Source" panel of an edge-detection figure: faces looking
    # down or turned three-quarters away. No test or tuning uses them: they make the held-out
    # group (issue 9).
    "still_a": "usr/share/doc/opencv-doc/opencv4/html/05.jpg",
    "still_b": "usr/share/doc/opencv-doc/opencv4/html/06.jpg",
    "still_c": "usr/share/doc/opencv-doc/opencv4/html/12.jpg",
}
# The photograph inside each still's figure: above the panel's caption, below its black band.
STILL_PANEL = (0, 30, 512, 470)


class PhotoUnavailable(RuntimeError):
    """The package that ships a photo could not be fetched."""


def _apt_download(folder: str) -> subprocess.CompletedProcess:
    return subprocess.run(["apt-get", "download", "opencv-doc"], cwd=folder,
                          capture_output=True, text=True)


def _opencv_doc_root() -> Path:
    root = CACHE / "opencv-doc"
    marker = root / ".complete"
    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(CACHE / "opencv-doc.lock")):
        if marker.exists():
            return root
        with tempfile.TemporaryDirectory() as scratch:
            run = _apt_download(scratch)
            if run.returncode != 0:  # a fresh machine has no package lists yet
                subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
                run = _apt_download(scratch)
            if run.returncode != 0:
                raise PhotoUnavailable("apt-get download opencv-doc failed (run "
                                       f"'apt-get update' first?): {run.stderr.strip()}")
            deb = next(Path(scratch).glob("opencv-doc_*.deb"))
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
        marker.touch()
    return root


def photo_path(name: str) -> Path:
    """Path of one of :data:`OPENCV_DOC_FILES`, fetched on first use."""
    return _opencv_doc_root() / OPENCV_DOC_FILES[name]


def photo(name: str) -> Image.Image:
    """An RGB photo by name: ``astronaut``, ``brick``, ``grass``, ``gravel`` (scikit-image),
    any key of :data:`OPENCV_DOC_FILES` (a still's photograph without its figure's caption) or
    ``held_out_group`` (:func:`held_out_group`)."""
    from skimage import data

    if name in ("astronaut", "brick", "grass", "gravel"):
        array = getattr(data, name)()
        if array.ndim == 2:
            array = np.stack([array] * 3, axis=-1)
        return Image.fromarray(array).convert("RGB")
    if name == "held_out_group":
        return held_out_group()
    image = Image.open(photo_path(name)).convert("RGB")
    return image.crop(STILL_PANEL) if name.startswith("still_") else image


def held_out_group() -> Image.Image:
    """Three non-frontal faces side by side (1536 × 440): the stills ``still_a`` (looking down,
    turned), ``still_b`` (three-quarters) and ``still_c`` (looking down), a group photo built
    from pictures no test tunes on."""
    stills = [photo(name) for name in ("still_a", "still_b", "still_c")]
    group = Image.new("RGB", (sum(still.width for still in stills), stills[0].height))
    for i, still in enumerate(stills):
        group.paste(still, (i * still.width, 0))
    return group


def plugin_test_images() -> tuple[Image.Image, Image.Image, Image.Image]:
    """The editors' end-to-end test images: a 64-px RGBA portrait with a transparent and a
    half-transparent corner, a 64-px style (Starry Night) and a 48-px second style (brick)."""
    portrait = photo("portrait_a").convert("RGBA")
    portrait.thumbnail((64, 64))
    alpha = Image.new("L", portrait.size, 255)
    alpha.paste(0, (0, 0, portrait.width // 4, portrait.height // 4))
    alpha.paste(128, (portrait.width // 4, 0, portrait.width // 2, portrait.height // 4))
    portrait.putalpha(alpha)
    style = photo("starry_night")
    style.thumbnail((64, 64))
    second = photo("brick")
    second.thumbnail((48, 48))
    return portrait, style, second


def png_bytes(image: Image.Image) -> bytes:
    """``image`` as a PNG file's bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
