"""The judge-floor bench's copies: the same picture to a person, never the same pixels."""

from __future__ import annotations

import numpy as np

from bench.judge_floor import perturbed
from tests.photos import photo


def test_each_copy_keeps_the_size_and_changes_the_pixels_a_little() -> None:
    image = photo("astronaut").convert("RGB").resize((96, 96))
    original = np.asarray(image, dtype=np.float32)
    copies = perturbed(image)
    assert len(copies) == 4
    for kind, copy in copies.items():
        assert copy.size == image.size and copy.mode == "RGB", kind
        change = np.abs(np.asarray(copy, dtype=np.float32) - original).mean()
        assert 0.1 < change < 20, (kind, change)  # grey levels of 255 (the shift: 13.6)


def test_the_copies_repeat_with_the_seed() -> None:
    image = photo("astronaut").convert("RGB").resize((64, 64))
    first, again = perturbed(image, seed=3), perturbed(image, seed=3)
    assert all(np.array_equal(np.asarray(first[k]), np.asarray(again[k])) for k in first)
