#!/usr/bin/env python3
"""Portrait Stylization for GIMP 3: neural style transfer that keeps faces recognisable.

Installed by ``install.py`` as ``plug-ins/portrait-stylization/portrait-stylization.py``, with
its pure-Python helpers, the ``shared`` client and (when GIMP's Python lacks it) pyzmq in the
``vendor`` folder beside it. The plug-in is thin: it reads layers, asks the backend (started on
demand) and inserts the result; no torch or numpy is imported here.

Procedures:

- ``plug-in-portrait-stylization`` (Filters ▸ Artistic ▸ Portrait Stylization…): stylize the
  selected layer with a chosen style layer; every engine option is an argument named as the
  option with dashes, so scripts can set them.
- ``plug-in-portrait-stylization-selected``: no dialog; of exactly two selected layers the upper
  one is the style and the lower one the content; uses the last options. Meant for a shortcut.
"""

import sys
from dataclasses import astuple
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "vendor"))

import gi  # noqa: E402

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp, GLib, GObject  # noqa: E402

# The dialog (GTK) and the client (pyzmq) are imported where they are used: GIMP starts every
# plug-in at launch to query its procedures, and that should stay quick.
from gimp_plugin import arguments, canvas, recall  # noqa: E402
from gimp_plugin.settings import LastOptions, PluginSettings, SettingsError  # noqa: E402
from shared import layers, result_size  # noqa: E402
from shared.options import OptionsError  # noqa: E402
from shared.plugin_settings import DEFAULT_PREVIEW_INTERVAL  # noqa: E402

DIALOG_PROCEDURE = "plug-in-portrait-stylization"
SELECTED_PROCEDURE = "plug-in-portrait-stylization-selected"
PLUGIN_FOLDER = Path(__file__).resolve().parent


class UserError(Exception):
    """A problem the user can fix; shown as one GIMP message."""


def _status(procedure, status, message: str | None = None, layer=None):
    values = procedure.new_return_values(status, GLib.Error(message) if message else GLib.Error())
    if layer is not None:
        values.remove(1)
        values.insert(1, GObject.Value(Gimp.Layer, layer))
    return values


def _show_progress(text: str, fraction: float) -> None:
    Gimp.progress_set_text(text)
    Gimp.progress_update(fraction)


def _region(image, content) -> canvas.Region:
    """The part of the content layer to stylize: the selection's bounding box, or all of it."""
    if image.get_base_type() == Gimp.ImageBaseType.INDEXED:
        raise UserError("Portrait Stylization works on RGB and grayscale images: convert this "
                        "one with Image ▸ Mode ▸ RGB.")
    touched, x, y, width, height = content.mask_intersect()
    if not touched:
        raise UserError(f"The selection does not cover any of '{content.get_name()}'.")
    return canvas.Region(x, y, width, height)


def _whole(drawable) -> canvas.Region:
    return canvas.Region(0, 0, drawable.get_width(), drawable.get_height())


def _first_run_options(client, folder: Path):
    """Options that suit the backend's device, remembered as the last ones (so the dialog
    starts from them too): on a CPU the short ladder, not a job of hours."""
    from shared import job_time

    options = job_time.first_run_options(client.health()["device"])
    LastOptions(options).save(folder)
    return options


def _backend_device() -> str | None:
    """The device of a backend that already runs (None: none answers at once, or the
    settings cannot be read; the run itself then says why), for the dialog's result size."""
    from shared import session

    try:
        return session.running_device(PluginSettings.load(PLUGIN_FOLDER))
    except SettingsError:
        return None


def _stylize(image, content_item, style_items, style_weights, options, preview_interval):
    """Run one job for ``content_item`` and insert its result; returns the new layer.
    ``options`` None: the first run's (see :func:`_first_run_options`)."""
    from shared import session

    content = content_item.handle
    region = _region(image, content)
    styles = [canvas.read_pixels(item.handle, _whole(item.handle),
                                 *canvas.drawable_format(item.handle, with_alpha=False))
              for item in style_items]
    settings = PluginSettings.load(PLUGIN_FOLDER)
    Gimp.progress_init("Portrait Stylization: connecting to the backend")
    result_layer = None
    try:
        client = session.connect(settings, _show_progress)
        try:
            if options is None:
                options = _first_run_options(client, recall.settings_folder())
            if region != _whole(content):
                options = session.crop_face_boxes(options, *astuple(region))
            request = session.Request(
                canvas.read_pixels(content, region, *canvas.drawable_format(content)), styles,
                style_weights, options, preview_interval)
            size = (region.width, region.height)
            notice = result_size.upscale_notice(result_size.computed_size(options, size), size)
            result_layer = canvas.ResultLayer(image, content, region,
                                              [item.name for item in style_items],
                                              options.background, notice)
            result, metadata = session.stylize(
                client, request, _show_progress,
                result_layer.show_preview if preview_interval else None, settings=settings)
        finally:
            client.close()
        Gimp.progress_set_text("Portrait Stylization: inserting the result")
        layer = result_layer.finish(result, metadata)
    except BaseException:
        if result_layer is not None:
            result_layer.discard()
        raise
    finally:
        Gimp.progress_end()
    summary = session.fidelity_summary(metadata)
    if summary:
        Gimp.message(summary)
    return layer


def _run_guarded(procedure, work):
    """Run ``work()`` → layer, turning the ways it can fail into one-line GIMP errors (each
    exception's message is already that line)."""
    from shared import session

    try:
        layer = work()
    except (UserError, layers.SelectionError, OptionsError, SettingsError,
            session.StylizationFailed) as err:
        return _status(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(err))
    except session.StylizationCancelled as err:
        return _status(procedure, Gimp.PDBStatusType.CANCEL, f"Cancelled: {err}")
    return _status(procedure, Gimp.PDBStatusType.SUCCESS, layer=layer)


def run_dialog_procedure(procedure, run_mode, image, drawables, config, _data):
    specs = arguments.dialog_arguments()
    if run_mode != Gimp.RunMode.NONINTERACTIVE:
        try:
            recall.recall_last(config)
        except SettingsError as err:
            return _status(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(err))
    if run_mode == Gimp.RunMode.INTERACTIVE:
        from gimp_plugin import dialog

        device = _backend_device()
        if not LastOptions.exists(recall.settings_folder()):  # no size chosen yet
            config.set_property("end-scale", result_size.default_end_scale(device))
        if not dialog.run_dialog(procedure, config, specs, drawables, device):
            return _status(procedure, Gimp.PDBStatusType.CANCEL)

    def work():
        from gimp_plugin import dialog

        content = layers.pick_content([canvas.describe(d) for d in drawables])
        if (run_mode == Gimp.RunMode.WITH_LAST_VALS
                and config.get_property(arguments.STYLE_LAYER) is None):
            raise UserError("Filters ▸ Repeat has no style layer to use: the last one was "
                            "closed or chosen in an earlier GIMP session. Choose one in "
                            "Filters ▸ Artistic ▸ Portrait Stylization….")
        styles, weights = dialog.chosen_styles(config, content)
        options = arguments.engine_options(dialog.config_values(config, specs))
        interval = config.get_property(arguments.PREVIEW_INTERVAL)
        layer = _stylize(image, content, styles, weights, options, interval)
        recall.remember(config, options)
        return layer

    return _run_guarded(procedure, work)


def run_selected_procedure(procedure, run_mode, image, drawables, config, _data):
    def work():
        style, content = layers.pick_style_and_content([canvas.describe(d) for d in drawables])
        folder = recall.settings_folder()
        if not LastOptions.exists(folder):  # the first run: options suited to the device
            return _stylize(image, content, [style], None, None, DEFAULT_PREVIEW_INTERVAL)
        last = LastOptions.load(folder)
        return _stylize(image, content, [style], None, last.options, last.preview_interval)

    return _run_guarded(procedure, work)


class PortraitStylization(Gimp.PlugIn):
    def do_set_i18n(self, _name):
        return False

    def do_query_procedures(self):
        return [DIALOG_PROCEDURE, SELECTED_PROCEDURE]

    def do_create_procedure(self, name):
        if name == DIALOG_PROCEDURE:
            from gimp_plugin import dialog

            procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN,
                                                run_dialog_procedure, None)
            procedure.set_menu_label("Portrait _Stylization…")
            procedure.add_menu_path("<Image>/Filters/Artistic")
            procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
            procedure.set_documentation(
                "Stylize a portrait with a style layer, keeping faces recognisable",
                "Neural style transfer of the selected layer after the chosen style layer, "
                "with face identity and landmark terms. The result is a new layer above the "
                "content; with a selection only its bounding box is stylized and the result "
                "is masked by it.", name)
            dialog.register_arguments(procedure, arguments.dialog_arguments())
        else:
            procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN,
                                                run_selected_procedure, None)
            procedure.set_menu_label("Portrait Stylization (selected layers)")
            procedure.add_menu_path("<Image>/Filters/Artistic")
            # Enabled with one layer selected too: the plug-in itself then explains that it
            # needs two (GIMP's own explanation for a greyed-out entry would mislead).
            procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE
                                           | Gimp.ProcedureSensitivityMask.DRAWABLES)
            procedure.set_documentation(
                "Stylize the lower of two selected layers after the upper one",
                "Of exactly two selected layers, the upper one is the style and the lower one "
                "the content. Uses the options last used in Portrait Stylization…; no dialog.",
                name)
        procedure.set_image_types("RGB*, GRAY*")
        procedure.set_attribution("Portrait Stylization authors", "MIT licence", "2026")
        procedure.add_layer_return_value("layer", "Layer", "the new result layer", True,
                                         GObject.ParamFlags.READWRITE)
        return procedure


if __name__ == "__main__":
    Gimp.main(PortraitStylization.__gtype__, sys.argv)
