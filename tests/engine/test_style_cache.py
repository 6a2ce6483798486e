"""The style-target cache: same pixels and scale settings reuse Grams; memory stays bounded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.engine import stylize
from backend.engine.images import prepare
from backend.engine.losses import STYLE_LAYERS, gram
from backend.engine.style_cache import StyleTargetCache, style_digest
from backend.models.bundle import ModelBundle
from backend.weights import RandomWeightsWarning, WeightsConfig
from shared.options import Options
from tests.photos import photo

CPU = torch.device("cpu")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Counting:
    """A compute function that records how often it ran."""

    def __init__(self, side: int = 4) -> None:
        self.calls = 0
        self.side = side

    def __call__(self) -> dict[int, torch.Tensor]:
        self.calls += 1
        return {1: torch.full((1, self.side, self.side), float(self.calls))}


def test_digest_names_the_pixels():
    brick = photo("brick").resize((32, 32))
    assert style_digest(prepare(brick)) == style_digest(prepare(brick.copy()))
    changed = np.asarray(brick).copy()
    changed[0, 0, 0] ^= 1
    assert style_digest(prepare(changed)) != style_digest(prepare(brick))
    as_float = np.asarray(brick, dtype=np.float32) / 255
    assert style_digest(prepare(as_float)) != style_digest(prepare(brick))


def test_a_second_lookup_reuses_the_targets():
    cache, compute = StyleTargetCache(), Counting()
    first = cache.grams("style", (32, 24), "max", compute, CPU)
    second = cache.grams("style", (32, 24), "max", compute, CPU)
    assert compute.calls == 1 and (cache.hits, cache.misses) == (1, 1)
    assert torch.equal(first[1], second[1])


@pytest.mark.parametrize(("digest", "size", "pooling"), [
    ("other", (32, 24), "max"), ("style", (45, 34), "max"), ("style", (32, 24), "average")])
def test_other_pixels_sizes_or_pooling_are_computed_anew(digest, size, pooling):
    cache, compute = StyleTargetCache(), Counting()
    cache.grams("style", (32, 24), "max", compute, CPU)
    cache.grams(digest, size, pooling, compute, CPU)
    assert compute.calls == 2 and cache.entries == 2


def test_grams_computed_in_tiles_are_kept_apart_from_whole_ones():
    cache, compute = StyleTargetCache(), Counting()
    cache.grams("style", (320, 240), "max", compute, CPU)
    cache.grams("style", (320, 240), "max", compute, CPU, tile_size=256)
    assert compute.calls == 2 and cache.entries == 2


def test_grams_of_a_half_precision_forward_are_kept_apart_from_fp32_ones():
    cache, compute = StyleTargetCache(), Counting()
    cache.grams("style", (32, 24), "max", compute, CPU)
    cache.grams("style", (32, 24), "max", compute, CPU, precision=torch.bfloat16)
    cache.grams("style", (32, 24), "max", compute, CPU, precision=None)
    assert compute.calls == 2 and cache.entries == 2


def test_changing_a_returned_target_does_not_change_the_cache():
    cache = StyleTargetCache()
    cache.grams("style", (8, 8), "max", Counting(), CPU)[1].add_(100)
    assert cache.grams("style", (8, 8), "max", Counting(), CPU)[1].max() == 1


def test_the_least_recently_used_targets_go_first_when_over_budget():
    entry_bytes = 4 * 4 * 4
    cache = StyleTargetCache(max_bytes=2 * entry_bytes)
    cache.grams("a", (8, 8), "max", Counting(), CPU)
    cache.grams("b", (8, 8), "max", Counting(), CPU)
    cache.grams("a", (8, 8), "max", Counting(), CPU)  # "a" is now the most recent
    cache.grams("c", (8, 8), "max", Counting(), CPU)
    assert cache.nbytes == 2 * entry_bytes and cache.entries == 2
    again = Counting()
    cache.grams("a", (8, 8), "max", again, CPU)
    cache.grams("b", (8, 8), "max", again, CPU)
    assert again.calls == 1  # only "b" was evicted


def test_targets_larger_than_the_budget_are_not_kept():
    cache = StyleTargetCache(max_bytes=10)
    cache.grams("a", (8, 8), "max", Counting(), CPU)
    assert cache.entries == 0 and cache.nbytes == 0


def test_cached_vgg_grams_equal_freshly_computed_ones():
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    with pytest.warns(RandomWeightsWarning):
        vgg = models.vgg("max")
    style = prepare(photo("brick").resize((48, 32)))

    def compute() -> dict[str, torch.Tensor]:
        with torch.no_grad():
            features = vgg(style.tensor((48, 32)), layers=list(STYLE_LAYERS))
        return {layer: gram(features[layer]) for layer in STYLE_LAYERS}

    cache = StyleTargetCache()
    fresh = cache.grams(style_digest(style), (48, 32), "max", compute, CPU)
    cached = cache.grams(style_digest(style), (48, 32), "max", compute, CPU)
    assert cache.hits == 1
    for layer in STYLE_LAYERS:
        assert torch.equal(cached[layer], fresh[layer])
        assert cached[layer].shape[-1] == cached[layer].shape[-2]


def test_stylize_with_a_cache_reuses_targets_and_gives_the_same_image():
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    content = photo("astronaut").resize((32, 24))
    style = photo("brick").resize((64, 64))  # larger than both scales: two style sizes
    options = Options(min_scale=32, end_scale=45, initial_iterations=1, iterations=1,
                      face_weight=0, mesh_weight=0)
    with pytest.warns(RandomWeightsWarning):
        plain = stylize(content, [style], options=options, models=models)
    cache = StyleTargetCache()
    stylize(content, [style], options=options, models=models, style_cache=cache)
    assert (cache.hits, cache.misses, cache.entries) == (0, 2, 2)  # one per scale
    cached = stylize(content, [style], options=options, models=models, style_cache=cache)
    assert (cache.hits, cache.misses) == (2, 2)
    np.testing.assert_array_equal(cached.pixels, plain.pixels)
