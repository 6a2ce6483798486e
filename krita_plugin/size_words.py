"""The docker's result size in words, as GIMP's dialog offers it (docs/krita.md, Result size).

A "Result size" list sits above the generated "End scale" field: "Layer size (600×400)" (or
"Selection size (…)"), "512 px — fast", "1024 px", "2048 px", "Other (number below)", from
:mod:`shared.result_size`; each entry is one ``end_scale``, and a number typed into the field
picks its entry ("Other" for any other). A line under them says whether the result will be
scaled up to the layer and, on a CPU backend, roughly how long this size and the layer's own
size take. Before the user has chosen a size, the size follows the backend's device (the layer's
own size on a GPU, 512 px on a CPU), as in GIMP.
"""

from __future__ import annotations

from PyQt5.QtCore import QObject
from PyQt5.QtWidgets import QComboBox, QLabel

from krita_plugin.option_form import OptionForm
from shared import result_size
from shared.options import OptionsError

END_SCALE = "end_scale"
LADDER = (END_SCALE, "min_scale", "iterations", "initial_iterations", "high_scale_iterations")
"""The options the size line's time depends on (the ladder's scales and iterations)."""


class SizeWords(QObject):
    """Keeps the result-size list and ``form``'s end-scale editor in step and the line under
    them up to date. ``follow_device``: the size was never chosen, so it follows the backend's
    device once that is known (:meth:`set_device`) until the user picks one."""

    def __init__(self, form: OptionForm, follow_device: bool, parent=None) -> None:
        super().__init__(parent)
        self.form, self.follow_device = form, follow_device
        self.content_size: tuple[int, int] | None = None
        self.selection = False
        self.device: str | None = None
        self._setting = False  # a change made here, not by the user
        self.combo = QComboBox()
        self.combo.setObjectName("result_size")
        self.combo.setToolTip("the size the result is computed at: the layer's own (slow on a "
                              "CPU), or a long side in pixels, scaled up to fill the layer")
        for choice in result_size.SIZE_CHOICES:
            self.combo.addItem(choice.label, choice.nick)
        self.note = QLabel()
        self.note.setObjectName("size_note")
        self.note.setWordWrap(True)
        form.add_rows_around(END_SCALE, ("Result size", self.combo), self.note)
        self.combo.currentIndexChanged.connect(self.size_chosen)
        self.end_scale_editor.valueChanged.connect(self.scale_typed)
        for name in LADDER[1:]:
            form.editors[name].valueChanged.connect(self.show_note)
        self.scale_set()

    @property
    def end_scale_editor(self):
        return self.form.editors[END_SCALE]

    def size_chosen(self, index: int) -> None:
        chosen = result_size.SIZE_CHOICES[index]
        if not self._setting:
            self.follow_device = False
        if chosen.end_scale is not None and chosen.end_scale != self.end_scale_editor.value():
            self.end_scale_editor.setValue(chosen.end_scale)  # calls scale_set
        else:
            self.show_note()

    def scale_typed(self, _value: int) -> None:
        if not self._setting:
            self.follow_device = False
        self.scale_set()

    def scale_set(self) -> None:
        """Show the entry that stands for the end-scale editor's number, and the line."""
        nick = result_size.choice_for(self.end_scale_editor.value()).nick
        index = self.combo.findData(nick)
        if index != self.combo.currentIndex():
            self._setting, was = True, self._setting
            try:
                self.combo.setCurrentIndex(index)
            finally:
                self._setting = was
        self.show_note()

    def set_content(self, size: tuple[int, int] | None, selection: bool = False) -> None:
        """The size ``(w, h)`` of what would be stylized (None: no layer), and whether it is
        a selection's bounding box: names the first entry and updates the line."""
        self.content_size, self.selection = size, selection
        self.combo.setItemText(0, result_size.choice_label(result_size.LAYER_SIZE, size,
                                                           selection))
        self.show_note()

    def set_device(self, device: str | None) -> None:
        """The backend's device (``cpu``, ``cuda:0``, …; None: unknown). While the size
        follows the device, it becomes :func:`shared.result_size.default_end_scale`'s."""
        if device is None:
            return
        self.device = device
        if self.follow_device:
            self._setting = True
            try:
                self.end_scale_editor.setValue(result_size.default_end_scale(device))
            finally:
                self._setting = False
        self.show_note()

    def show_note(self, *_args: object) -> None:
        text = ""
        if self.content_size is not None:
            try:
                text = result_size.size_note(self.form.options(), self.content_size,
                                             self.device)
            except OptionsError:
                text = ""  # Stylize then says what to fix
        self.note.setText(text)
        self.note.setVisible(bool(text))
