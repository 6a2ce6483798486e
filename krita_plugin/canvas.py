"""Pixels in and out of Krita: layers as ImageData, the result layer, and its metadata.

Everything here talks to Krita through its Python API (``krita``); the decisions about layout
and alpha are made by :mod:`krita_plugin.pixels` and :mod:`shared.pixels`. Colour conversion and
resampling are Krita's own: pixels pass through a short-lived scratch document that Krita
converts (to sRGB-encoded RGBA at a depth the protocol carries, and back to the layer's colour
space) and scales (bicubic), so any colour model, profile and depth Krita holds goes in and
comes out as the user's layer has it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from krita import Krita
from PyQt5.QtCore import QByteArray, QRect

from krita_plugin import pixels
from shared import layers
from shared.framing import ImageData
from shared.layers import Region
from shared.pixels import replace_alpha

ANNOTATION = "portrait-stylization"
ANNOTATION_DESCRIPTION = "Portrait Stylization: each result layer's job metadata (JSON by layer id)"
_MASK_TYPES = {"transparencymask", "filtermask", "transformmask", "selectionmask",
               "colorizemask"}


@dataclass(frozen=True)
class ColourSpace:
    model: str
    depth: str
    profile: str


def colour_space(node) -> ColourSpace:
    return ColourSpace(node.colorModel(), node.colorDepth(), node.colorProfile())


def _stack_path(node) -> tuple[int, ...]:
    """Stacking positions from the top level down (0 = top of its parent)."""
    path = []
    while node is not None and node.parentNode() is not None:
        siblings = node.parentNode().childNodes()  # bottom to top
        ids = [sibling.uniqueId() for sibling in siblings]
        path.insert(0, len(ids) - 1 - ids.index(node.uniqueId()))
        node = node.parentNode()
    return tuple(path)


def describe(node) -> layers.SelectedItem:
    """The layer logic's view of a Krita node: its kind and stacking path."""
    kind = node.type()
    if kind == "grouplayer":
        kind = layers.GROUP
    elif kind in _MASK_TYPES:
        kind = layers.LAYER_MASK
    else:
        kind = layers.LAYER
    return layers.SelectedItem(node.name(), kind, _stack_path(node), node)


def walk_layers(node) -> Iterator[tuple[str, Any]]:
    """Every layer below ``node`` (masks excluded), top first, with its path of names."""
    for child in reversed(node.childNodes()):
        if child.type() in _MASK_TYPES:
            continue
        yield child.name(), child
        for path, below in walk_layers(child):
            yield f"{child.name()} ▸ {path}", below


def find_node(document, unique_id: str):
    """The node of ``document`` with this unique id, or None."""
    for _, node in walk_layers(document.rootNode()):
        if node.uniqueId().toString() == unique_id:
            return node
    return None


def content_region(document, node) -> Region | None:
    """The part of ``node`` to stylize: its exact bounds, cut to the selection's bounding box
    if there is a selection; None when nothing is left."""
    bounds = node.bounds()
    selection = document.selection()
    if selection is not None:
        bounds = bounds.intersected(QRect(selection.x(), selection.y(), selection.width(),
                                          selection.height()))
    if bounds.isEmpty():
        return None
    return Region(bounds.x(), bounds.y(), bounds.width(), bounds.height())


def selection_mask(document, region: Region) -> bytes | None:
    """The selection over ``region``, one byte a pixel (None without a selection)."""
    selection = document.selection()
    if selection is None:
        return None
    return bytes(selection.pixelData(region.x, region.y, region.width, region.height))


@contextmanager
def _scratch(width: int, height: int, space: ColourSpace) -> Iterator[tuple[Any, Any]]:
    """A throw-away document of one paint layer, so Krita converts and scales pixels without
    touching the user's documents or their undo history."""
    document = Krita.instance().createDocument(width, height, "portrait-stylization-scratch",
                                               space.model, space.depth, space.profile, 72.0)
    try:
        yield document, document.topLevelNodes()[0]
    finally:
        document.close()


def _converted(document, space: ColourSpace) -> None:
    document.setColorSpace(space.model, space.depth, space.profile)
    document.waitForDone()


def transfer_space(node) -> ColourSpace:
    """sRGB-encoded RGBA at the depth that carries ``node``'s samples without loss."""
    return ColourSpace("RGBA", pixels.transfer_depth(node.colorDepth()), pixels.SRGB_PROFILE)


def read_image(node, region: Region) -> ImageData:
    """``region`` of ``node`` (as shown, masks applied) as sRGB RGBA protocol image data."""
    data = bytes(node.projectionPixelData(region.x, region.y, region.width, region.height))
    source, target = colour_space(node), transfer_space(node)
    if source != target:
        with _scratch(region.width, region.height, source) as (document, layer):
            layer.setPixelData(data, 0, 0, region.width, region.height)
            _converted(document, target)
            data = bytes(layer.pixelData(0, 0, region.width, region.height))
    dtype = pixels.DTYPE_OF_DEPTH[target.depth]
    return ImageData(region.width, region.height, 4, dtype,
                     pixels.krita_to_protocol(data, dtype))


@dataclass
class ResultRequest:
    """How the result goes back: over ``region``, into ``space``, with the content's alpha
    (``alpha_source``: the content as sent) unless the engine made a matte, and the selection
    ``mask`` (None: no selection)."""

    region: Region
    space: ColourSpace
    alpha_source: ImageData | None
    mask: bytes | None


def result_pixels(result: ImageData, request: ResultRequest) -> bytes:
    """The result scaled to the region, alpha and selection applied, in the target colour
    space's own layout."""
    dtype = result.dtype
    region = request.region
    scratch_space = ColourSpace("RGBA", pixels.DEPTH_OF_DTYPE[dtype], pixels.SRGB_PROFILE)
    rgba = pixels.with_alpha(result.data, result.channels, dtype)
    with _scratch(result.width, result.height, scratch_space) as (document, layer):
        layer.setPixelData(pixels.protocol_to_krita(rgba, dtype), 0, 0, result.width,
                           result.height)
        if (result.width, result.height) != (region.width, region.height):
            document.scaleImage(region.width, region.height, 72, 72, "Bicubic")
            document.waitForDone()
        data = pixels.krita_to_protocol(
            bytes(layer.pixelData(0, 0, region.width, region.height)), dtype)
        if request.alpha_source is not None:
            data = replace_alpha(data, request.alpha_source.data, 4, dtype)
        if request.mask is not None:
            data = pixels.mask_alpha(data, request.mask, dtype)
        layer.setPixelData(pixels.protocol_to_krita(data, dtype), 0, 0, region.width,
                           region.height)
        if request.space != scratch_space:
            _converted(document, request.space)
        return bytes(layer.pixelData(0, 0, region.width, region.height))


def insert_result(document, content, name: str, data: bytes, region: Region,
                  metadata: dict[str, Any]):
    """A new paint layer named ``name`` directly above ``content`` holding ``data`` over
    ``region``; one step in Krita's undo history (the pixels are written before the layer is
    inserted). The job's metadata goes into the document's annotation, keyed by the layer's
    unique id (Krita saves annotations in .kra files). Returns the layer."""
    layer = document.createNode(name, "paintlayer")
    layer.setPixelData(data, region.x, region.y, region.width, region.height)
    content.parentNode().addChildNode(layer, content)
    document.waitForDone()
    record = stored_metadata(document)
    record[layer.uniqueId().toString()] = metadata
    document.setAnnotation(ANNOTATION, ANNOTATION_DESCRIPTION,
                           QByteArray(json.dumps(record).encode("utf-8")))
    document.refreshProjection()
    return layer


def stored_metadata(document) -> dict[str, Any]:
    """Every result layer's metadata kept in ``document`` (by layer unique id)."""
    if ANNOTATION not in document.annotationTypes():
        return {}
    try:
        record = json.loads(bytes(document.annotation(ANNOTATION)).decode("utf-8"))
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}
