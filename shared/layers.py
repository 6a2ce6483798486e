"""Which selected item is the content and which the style, decided without the editor.

Editors hand a plug-in its selected layers in no particular order (GIMP: not the click order;
Krita: the layer docker's order), so "upper" and "lower" are decided by stacking position: each
item's path of positions from the top level down, where position 0 is the top of its parent.
Used by the GIMP and the Krita plug-in alike. Pure Python.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

LAYER = "layer"
GROUP = "layer group"
CHANNEL = "channel"
LAYER_MASK = "layer mask"
OTHER = "item"


class SelectionError(ValueError):
    """The selected items do not fit the procedure; the message is one line for the user."""


@dataclass(frozen=True)
class Region:
    """A rectangle of pixels: its top-left corner ``x``, ``y`` and its size, in pixels of the
    editor's coordinates (GIMP: the layer's own; Krita: the document's)."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class SelectedItem:
    """What the layer logic needs to know about one selected drawable.

    ``kind`` is one of :data:`LAYER`, :data:`GROUP`, :data:`CHANNEL`, :data:`LAYER_MASK`,
    :data:`OTHER`; ``path`` holds the stacking positions from the top level down (``(0,)`` is
    the topmost layer, ``(2, 0)`` the top layer inside the third top-level group); ``handle``
    is the caller's object (a ``Gimp.Layer``, a Krita ``Node``), carried through untouched."""

    name: str
    kind: str
    path: tuple[int, ...]
    handle: object = None


def _describe(item: SelectedItem) -> str:
    return f"'{item.name}' is a {item.kind}"


def pick_style_and_content(items: Sequence[SelectedItem]) -> tuple[SelectedItem, SelectedItem]:
    """``(style, content)`` from exactly two selected layers: the upper one is the style, the
    lower one the content. Raises :class:`SelectionError` for any other selection."""
    if len(items) != 2:
        raise SelectionError(f"Select exactly two layers (the upper one is the style, the lower "
                             f"one the content); {len(items)} "
                             f"{'item is' if len(items) == 1 else 'items are'} selected.")
    for item in items:
        if item.kind != LAYER:
            raise SelectionError(f"Select two plain layers: {_describe(item)}.")
    upper, lower = sorted(items, key=lambda item: item.path)
    return upper, lower


def pick_content(items: Sequence[SelectedItem]) -> SelectedItem:
    """The one selected layer to stylize; :class:`SelectionError` otherwise."""
    if len(items) != 1:
        raise SelectionError(f"Select exactly one content layer to stylize; {len(items)} "
                             f"{'item is' if len(items) == 1 else 'items are'} selected.")
    (item,) = items
    if item.kind != LAYER:
        raise SelectionError(f"Select a plain layer to stylize: {_describe(item)}.")
    return item


def check_style(style: SelectedItem | None, content: SelectedItem) -> SelectedItem:
    """The chosen style layer, checked against the content layer."""
    if style is None:
        raise SelectionError("Choose a style layer (any layer of an open image).")
    if style.kind != LAYER:
        raise SelectionError(f"The style must be a plain layer: {_describe(style)}.")
    if style.handle is not None and style.handle == content.handle:
        raise SelectionError(f"The style layer '{style.name}' is the content layer itself; "
                             f"choose another one.")
    return style


def result_name(content: str, styles: Sequence[str], taken: Collection[str],
                notice: str = "") -> str:
    """The result layer's name: what it is, e.g. ``Portrait — stylized (Starry Night)``, and
    ``notice`` after a comma when there is one (``…, computed at 512 px, scaled up ×1.2``).

    GIMP would make a taken name unique by appending " #1", which reads like a copy of the
    content; a number after "stylized" keeps names unique and still says what the layer is."""
    after = " + ".join(styles) + ")" + (f", {notice}" if notice else "")
    name, number = f"{content} — stylized ({after}", 2
    while name in taken or unfinished_name(name) in taken:
        name, number = f"{content} — stylized {number} ({after}", number + 1
    return name


def unfinished_name(name: str) -> str:
    """The name of a result layer that is still showing previews (and that stays behind,
    named as a partial result, if GIMP ends the plug-in before the job finishes)."""
    return f"{name} — unfinished"
