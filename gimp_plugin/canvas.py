"""Pixels in and out of GIMP: layers as ImageData, resampling, the preview and the result layer.

Everything here talks to GIMP through libgimp (``Gimp``, ``Gegl``); the decisions (formats,
alpha, layer order) are made by the pure modules beside it.
"""

from __future__ import annotations

import json

import gi

gi.require_version("Babl", "0.1")
gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Babl, Gegl, Gimp, GLib  # noqa: E402

from gimp_plugin import pixels  # noqa: E402
from shared import layers  # noqa: E402
from shared import pixels as samples  # noqa: E402
from shared.framing import ImageData  # noqa: E402
from shared.layers import Region  # noqa: E402

PARASITE_NAME = "portrait-stylization"
_IMAGE_TYPES = {1: Gimp.ImageType.GRAY_IMAGE, 2: Gimp.ImageType.GRAYA_IMAGE,
                3: Gimp.ImageType.RGB_IMAGE, 4: Gimp.ImageType.RGBA_IMAGE}


_RGB8 = "R'G'B' u8"  # 8-bit sRGB, as the options carry colours


def gegl_colour(rgb: tuple[int, int, int]) -> Gegl.Color:
    """A GIMP colour from 8-bit sRGB components."""
    colour = Gegl.Color.new("white")
    colour.set_bytes(Babl.format(_RGB8), GLib.Bytes.new(bytes(rgb)))
    return colour


def rgb_of(colour: Gegl.Color) -> tuple[int, int, int]:
    """A GIMP colour's 8-bit sRGB components."""
    red, green, blue = colour.get_bytes(Babl.format(_RGB8)).get_data()
    return red, green, blue


def describe(item: Gimp.Item) -> layers.SelectedItem:
    """The layer logic's view of a GIMP item: its kind and stacking path."""
    if item.is_layer_mask():
        kind = layers.LAYER_MASK
    elif item.is_channel():
        kind = layers.CHANNEL
    elif item.is_group():
        kind = layers.GROUP
    elif item.is_layer():
        kind = layers.LAYER
    else:
        kind = layers.OTHER
    path, node = [], item
    if kind in (layers.LAYER, layers.GROUP):
        image = item.get_image()
        while node is not None:
            path.insert(0, image.get_item_position(node))
            node = node.get_parent()
    return layers.SelectedItem(item.get_name(), kind, tuple(path), item)


def stylized_size(drawable: Gimp.Drawable) -> tuple[int, int, bool] | None:
    """``(w, h, selection)``: the size of what the plug-in stylizes of ``drawable``, the
    selection's bounding box within it (``selection`` True when there is a selection) or the
    whole drawable; None when the selection misses it."""
    touched, _x, _y, width, height = drawable.mask_intersect()
    if not touched:
        return None
    return width, height, not Gimp.Selection.is_empty(drawable.get_image())


def drawable_format(drawable: Gimp.Drawable, with_alpha: bool | None = None) -> tuple[int, str]:
    """``(channels, dtype)`` that carry ``drawable`` at its image's precision."""
    image = drawable.get_image()
    grayscale = image.get_base_type() == Gimp.ImageBaseType.GRAY
    alpha = drawable.has_alpha() if with_alpha is None else with_alpha
    return (pixels.channel_count(grayscale, alpha),
            pixels.transfer_dtype(image.get_precision().value_nick))


def _rectangle(region: Region) -> Gegl.Rectangle:
    return Gegl.Rectangle.new(region.x, region.y, region.width, region.height)


def read_pixels(drawable: Gimp.Drawable, region: Region, channels: int,
                dtype: str) -> ImageData:
    """The pixels of ``region`` of ``drawable`` as protocol image data."""
    data = drawable.get_buffer().get(_rectangle(region), 1.0,
                                     pixels.babl_format(channels, dtype),
                                     Gegl.AbyssPolicy.CLAMP)
    return ImageData(region.width, region.height, channels, dtype,
                     samples.swap_to_protocol(bytes(data), dtype))


def write_pixels(drawable: Gimp.Drawable, region: Region, data: bytes, channels: int,
                 dtype: str) -> None:
    """Write this machine's byte-order samples into ``region`` of ``drawable`` (no undo)."""
    buffer = drawable.get_buffer()
    buffer.set(_rectangle(region), pixels.babl_format(channels, dtype), data)
    buffer.flush()
    drawable.update(region.x, region.y, region.width, region.height)


def resample(image_data: ImageData, width: int, height: int, channels: int,
             dtype: str) -> bytes:
    """``image_data`` scaled to ``width`` × ``height`` with GIMP's cubic interpolation, as
    ``channels`` × ``dtype`` samples in this machine's byte order.

    Works in a throw-away image, so the user's image and its undo history are not touched."""
    scratch = Gimp.Image.new_with_precision(
        image_data.width, image_data.height, Gimp.ImageBaseType.RGB,
        getattr(Gimp.Precision, pixels.precision_name(dtype)))
    try:
        layer = Gimp.Layer.new(scratch, "resample", image_data.width, image_data.height,
                               Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
        scratch.insert_layer(layer, None, 0)
        write_pixels(layer, Region(0, 0, image_data.width, image_data.height),
                     samples.swap_to_protocol(image_data.data, image_data.dtype),
                     image_data.channels, image_data.dtype)
        if (width, height) != (image_data.width, image_data.height):
            Gimp.context_push()
            Gimp.context_set_interpolation(Gimp.InterpolationType.CUBIC)
            layer.scale(width, height, False)
            Gimp.context_pop()
        data = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0,
                                      pixels.babl_format(channels, dtype),
                                      Gegl.AbyssPolicy.CLAMP)
        return bytes(data)
    finally:
        scratch.delete()


def layer_names(image: Gimp.Image) -> set[str]:
    """The names of all layers of ``image``, inside groups too (GIMP keeps them unique)."""
    names, pending = set(), list(image.get_layers())
    while pending:
        layer = pending.pop()
        names.add(layer.get_name())
        if layer.is_group():
            pending.extend(layer.get_children())
    return names


class ResultLayer:
    """The new layer: directly above the content, with its offsets, size and alpha, the
    content's pixels outside ``region``; masked by the selection if any; named after what it is
    (:func:`layers.result_name`), with ``notice`` when the result is scaled up to the region
    (:func:`shared.result_size.upscale_notice`).

    GIMP ends a plug-in whose progress is cancelled at once (SIGKILL), so nothing may be left
    half-done while the backend works: previews go to a stand-in layer added and removed with
    the image's undo frozen, never part of the undo history, and the result is added by
    :meth:`finish` in one undo group opened and closed without waiting for anything. A cancel
    therefore leaves at most the stand-in, named as unfinished, and no open undo group."""

    def __init__(self, image: Gimp.Image, content: Gimp.Layer, region: Region,
                 style_names: list[str], background: str, notice: str = "") -> None:
        self.image, self.content, self.region = image, content, region
        self.name = layers.result_name(content.get_name(), style_names, layer_names(image),
                                       notice)
        content_channels, self.dtype = drawable_format(content)
        self.channels = samples.result_channels(content_channels, background)
        self.keep_alpha = samples.keeps_content_alpha(content_channels, background)
        self.preview: Gimp.Layer | None = None
        self._alpha_source: bytes | None = None

    def _insert(self, name: str) -> Gimp.Layer:
        whole = Region(0, 0, self.content.get_width(), self.content.get_height())
        layer = Gimp.Layer.new(self.image, name, whole.width, whole.height,
                               _IMAGE_TYPES[self.channels], 100.0, Gimp.LayerMode.NORMAL)
        _, x, y = self.content.get_offsets()
        layer.set_offsets(x, y)
        self.image.insert_layer(layer, self.content.get_parent(),
                                self.image.get_item_position(self.content))
        if self.region != whole:
            around = read_pixels(self.content, whole, self.channels, self.dtype)
            write_pixels(layer, whole, samples.swap_to_protocol(around.data, self.dtype),
                         self.channels, self.dtype)
        if not Gimp.Selection.is_empty(self.image):
            layer.add_mask(layer.create_mask(Gimp.AddMaskType.SELECTION))
        return layer

    def _samples(self, image_data: ImageData) -> bytes:
        """``image_data`` fitted to the region, with the content's alpha where it is kept."""
        data = resample(image_data, self.region.width, self.region.height, self.channels,
                        self.dtype)
        if self.keep_alpha:
            if self._alpha_source is None:
                original = read_pixels(self.content, self.region, self.channels, self.dtype)
                self._alpha_source = samples.swap_to_protocol(original.data, self.dtype)
            data = samples.replace_alpha(data, self._alpha_source, self.channels, self.dtype)
        return data

    def show_preview(self, frame: ImageData) -> None:
        """Show a preview frame (any size; it is scaled to the region)."""
        data = self._samples(frame)
        if self.preview is None:
            self.image.undo_freeze()
            try:
                self.preview = self._insert(layers.unfinished_name(self.name))
            finally:
                self.image.undo_thaw()
        write_pixels(self.preview, self.region, data, self.channels, self.dtype)
        Gimp.displays_flush()

    def finish(self, result: ImageData, metadata: dict) -> Gimp.Layer:
        """Replace the previews by the result layer, with the job's metadata as a parasite, in
        one undo step; returns the layer."""
        data = self._samples(result)
        record = Gimp.Parasite.new(PARASITE_NAME, Gimp.PARASITE_PERSISTENT,
                                   json.dumps(metadata).encode("utf-8"))
        self._remove_preview()
        self.image.undo_group_start()
        try:
            layer = self._insert(self.name)
            write_pixels(layer, self.region, data, self.channels, self.dtype)
            layer.attach_parasite(record)
        finally:
            self.image.undo_group_end()
        Gimp.displays_flush()
        return layer

    def discard(self) -> None:
        """Remove the previews (the job failed or was cancelled)."""
        self._remove_preview()
        Gimp.displays_flush()

    def _remove_preview(self) -> None:
        if self.preview is None:
            return
        self.image.undo_freeze()
        try:
            self.image.remove_layer(self.preview)
        finally:
            self.image.undo_thaw()
        self.preview = None
