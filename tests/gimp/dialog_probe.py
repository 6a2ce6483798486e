"""Helpers for scenarios that look at the plug-in's dialog inside GIMP (appended to the batch
prelude): build it with the plug-in's own code on a virtual display, show it, and record what a
user would see (window size, the OK button's place and state, the text of every field and
label) and a screenshot. GIMP's Python only: GTK, GimpUi, the standard library."""

import os
import sys

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gimp, GimpUi, GObject, Gtk  # noqa: E402


def plugin_modules(plugin_dir):
    """Import the installed plug-in's helper modules (as the plug-in itself does)."""
    sys.path.insert(0, plugin_dir + "/vendor")
    sys.path.insert(0, plugin_dir)
    from gimp_plugin import arguments, dialog, recall

    return arguments, dialog, recall


def dialog_procedure(arguments, dialog):
    """A procedure of this process declared with the plug-in's own code, as the plug-in
    declares its dialog procedure (auxiliary arguments included, which the PDB's view of the
    installed procedure lacks); another name, so its config type is its own."""
    procedure = Gimp.ImageProcedure.new(Gimp.get_plug_in(), "portrait-stylization-probe",
                                        Gimp.PDBProcType.PLUGIN, lambda *_args: None, None)
    dialog.register_arguments(procedure, arguments.dialog_arguments())
    return procedure


def init_ui():
    GimpUi.init("portrait-stylization-test")


def settle():
    while Gtk.events_pending():
        Gtk.main_iteration()


def show(window):
    """Show ``window`` and wait until the X server has mapped and drawn it."""
    window.show()
    while not window.get_mapped():
        Gtk.main_iteration()
    settle()


def _label_of(field):
    if isinstance(field, GimpUi.Labeled):
        return field.get_label().get_text()
    if isinstance(field, Gtk.CheckButton):
        return field.get_label()
    if field.find_property("label") is not None:
        return field.get_property("label")
    return None


def fields(window, properties):
    """What the field of each property in ``properties`` (``{key: property}``) shows: its
    widget type, its label and, for number and text fields, the text in it."""
    shown = {}
    for key, name in properties.items():
        field = window.get_widget(name, GObject.TYPE_NONE)
        text, chars = None, None
        if isinstance(field, GimpUi.LabelSpin):
            text = field.get_spin_button().get_text()
            chars = field.get_spin_button().get_width_chars()
        elif isinstance(field, GimpUi.LabelEntry):
            text = field.get_entry().get_text()
        shown[key] = {"widget": type(field).__name__, "label": _label_of(field),
                      "text": text, "chars": chars}
    return shown


def labels(widget, found=None):
    """The text of every visible label under ``widget``."""
    found = [] if found is None else found
    if isinstance(widget, Gtk.Label) and widget.is_visible():
        found.append(widget.get_text())
    if isinstance(widget, Gtk.Container):
        for child in widget.get_children():
            labels(child, found)
    return found


def redraw(window):
    """Wait until ``window`` has painted its current state (GTK paints on its frame clock,
    after the changes that led to it)."""
    painted = []
    clock = window.get_frame_clock()
    handler = clock.connect("after-paint", lambda *_args: painted.append(True))
    window.queue_draw()
    while not painted:
        Gtk.main_iteration()
    clock.disconnect(handler)
    settle()
    Gdk.Display.get_default().sync()


def screenshot(window, name):
    """Save what ``window`` shows as ``OUT/name.png``."""
    redraw(window)
    gdk_window = window.get_window()
    pixbuf = Gdk.pixbuf_get_from_window(gdk_window, 0, 0, gdk_window.get_width(),
                                        gdk_window.get_height())
    pixbuf.savev(os.path.join(os.environ["PS_TEST_OUT"], name + ".png"), "png", [], [])


def chosen_layer(window, name):
    """The name of the layer the chooser for argument ``name`` shows (None: empty)."""
    chooser = window.get_widget(name, GObject.TYPE_NONE)
    layer = chooser.get_drawable()
    return None if layer is None else layer.get_name()


def dialog_state(window):
    """Size, the OK button's rectangle and sensitivity, the labels shown."""
    ok = window.get_widget_for_response(Gtk.ResponseType.OK)
    x, y = ok.translate_coordinates(window, 0, 0)[-2:]
    allocation = ok.get_allocation()
    return {"size": [window.get_allocated_width(), window.get_allocated_height()],
            "ok": [x, y, allocation.width, allocation.height],
            "ok_sensitive": ok.is_sensitive(), "labels": labels(window),
            "screen": [Gdk.Screen.get_default().get_width(),
                       Gdk.Screen.get_default().get_height()]}
