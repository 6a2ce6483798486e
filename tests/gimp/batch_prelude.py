"""Helpers for test scenarios run inside GIMP (``gimp-console-3.0 --batch``), GIMP's Python 3.13.

The test harness prepends this file to each scenario's code and runs it with GIMP's
``python-fu-eval``. Scenarios build images from PNG files, call the plug-in's procedures through
the PDB as a script would, and record what they observe in ``REPORT`` (written as JSON) and in
raw pixel dumps, which the tests read and judge outside GIMP. Standard library and libgimp only.
"""

import json
import os
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

OUT = os.environ["PS_TEST_OUT"]
REPORT = {"calls": {}}
U8_RGBA = "R'G'B'A u8"


def load_image(path):
    return Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(path))


def add_layer(image, path, name, position=0, offsets=(0, 0), parent=None):
    """A layer from a PNG file, inserted at ``position`` in ``parent`` with ``offsets``."""
    layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(path))
    layer.set_name(name)
    image.insert_layer(layer, parent, position)
    layer.set_offsets(*offsets)
    return layer


def canvas(width, height):
    image = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
    return image


def run_procedure(name, image, drawables, run_mode=Gimp.RunMode.NONINTERACTIVE, **arguments):
    """Call a procedure as a script does; returns ``{"status", "error", "layer"}``."""
    procedure = Gimp.get_pdb().lookup_procedure(name)
    config = procedure.create_config()
    config.set_property("run-mode", run_mode)
    config.set_property("image", image)
    config.set_core_object_array("drawables", drawables)
    for key, value in arguments.items():
        config.set_property(key.replace("_", "-"), value)
    result = procedure.run(config)
    status = result.index(0)
    layer = result.index(1) if status == Gimp.PDBStatusType.SUCCESS else None
    error = None if status == Gimp.PDBStatusType.SUCCESS else Gimp.get_pdb().get_last_error()
    return {"status": status.value_nick, "error": error, "layer": layer}


def layer_info(image, layer):
    """Name, stacking, geometry, alpha, mask and parasite of a layer, JSON-ready."""
    _, x, y = layer.get_offsets()
    parent = layer.get_parent()
    parasite = layer.get_parasite("portrait-stylization")
    return {"name": layer.get_name(), "position": image.get_item_position(layer),
            "parent": parent.get_name() if parent else None, "offsets": [x, y],
            "size": [layer.get_width(), layer.get_height()], "has_alpha": layer.has_alpha(),
            "has_mask": layer.get_mask() is not None,
            "parasite": bytes(parasite.get_data()).decode() if parasite else None}


def layer_names(image):
    return [layer.get_name() for layer in image.get_layers()]


def dump(drawable, name, fmt=U8_RGBA):
    """Write a drawable's pixels in ``fmt`` to ``OUT/name.raw``; return its size."""
    width, height = drawable.get_width(), drawable.get_height()
    data = drawable.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, fmt,
                                     Gegl.AbyssPolicy.CLAMP)
    with open(os.path.join(OUT, name + ".raw"), "wb") as handle:
        handle.write(bytes(data))
    return [width, height]


def record(key, value):
    REPORT[key] = value


def finish():
    with open(os.path.join(OUT, "report.json"), "w") as handle:
        json.dump(REPORT, handle, indent=1, default=str)


def scenario(body):
    """Run ``body()``; a failure is recorded rather than lost in GIMP's output."""
    try:
        body()
    except Exception:
        REPORT["exception"] = traceback.format_exc()
    finish()
