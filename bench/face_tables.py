"""The Markdown tables of bench/faces.py: a summary per photo and setting against the face
terms off, one row per face, and the face-weight curve; with issue 9's goals checked.

Every ratio is "with the setting" over "with the face terms off" on the same photo. The style
taken in a face is ``(D_photo − D) / (D_photo − D_off)``, ``D`` the Gram distance to the style
inside the face oval (:func:`bench.face_measures.style_distances`), ``D_photo`` the content's own
and ``D_off`` the result's with the terms off: 1 when the face is as stylized as without face
terms, 0 when it is the photo's.
"""

from __future__ import annotations

import statistics

from shared.options import Options

# Issue 9's goals, on every portrait at once.
NME_GOAL, IDENTITY_GOAL, STYLE_GOAL = 0.38, 0.40, 1.10
SEAM_GOAL = 1.5  # a smooth fade measures about 1, a hard box 4.4; or not above 1.1 × off's
TEXTURE_FACTOR = 1.5


def _of(rows: list[dict], photo: str, setting: str) -> list[dict]:
    return sorted((r for r in rows if r["photo"] == photo and r["setting"] == setting),
                  key=lambda r: r["face"])


def _image(images: list[dict], photo: str, setting: str) -> dict:
    return next(i for i in images if i["photo"] == photo and i["setting"] == setting)


def style_taken(face: dict, off: dict) -> float:
    """The share of the terms-off style a face keeps (the module's docstring)."""
    full = face["style_face_content"] - off["style_face"]
    return (face["style_face_content"] - face["style_face"]) / full if full > 0 else float("nan")


def texture_ok(face: dict, off: dict) -> bool:
    return face["texture_ratio"] <= max(1.0, TEXTURE_FACTOR * off["texture_ratio"])


def _ratio(on: list[dict], off: list[dict], key: str) -> float:
    return statistics.fmean(f[key] for f in on) / statistics.fmean(f[key] for f in off)


def compare(rows: list[dict], images: list[dict], photo: str, setting: str,
            baseline: str = "off") -> dict:
    """One setting on one photo against ``baseline``: the goals' figures."""
    on, off = _of(rows, photo, setting), _of(rows, photo, baseline)
    whole = (_image(images, photo, setting)["style_image"]
             / _image(images, photo, baseline)["style_image"])
    worst = max(on, key=lambda f: f["dlib_identity"] / off[f["face"]]["dlib_identity"])
    seams = [f["seam"] for f in on if f["seam"] == f["seam"]]
    return {"nme": _ratio(on, off, "dlib_nme"), "identity": _ratio(on, off, "dlib_identity"),
            "worst": worst, "style_whole": whole,
            "taken": _defined_mean(style_taken(f, o) for f, o in zip(on, off, strict=True)),
            "texture_ok": all(texture_ok(f, o) for f, o in zip(on, off, strict=True)),
            "texture_max": max(f["texture_ratio"] for f in on),
            "seam": max(seams, default=float("nan")),
            "seam_off": max((f["seam"] for f in off if f["seam"] == f["seam"]),
                            default=float("nan")),
            "kept": sum(f["kept"] for f in on), "kept_off": sum(f["kept"] for f in off),
            "faces": len(on)}


def _defined_mean(values) -> float:
    defined = [v for v in values if v == v]
    return statistics.fmean(defined) if defined else float("nan")


def _goals(c: dict) -> str:
    missed = [name for name, ok in (
        (f"NME ≤ {NME_GOAL}", c["nme"] <= NME_GOAL),
        (f"identity ≤ {IDENTITY_GOAL}", c["identity"] <= IDENTITY_GOAL),
        ("style +10 %", c["style_whole"] <= STYLE_GOAL), ("texture", c["texture_ok"]),
        ("no box", not c["seam"] > max(SEAM_GOAL, 1.1 * c["seam_off"])),
        ("faces found again", c["kept"] >= c["kept_off"]))
        if not ok]
    return "all met" if not missed else "missed: " + ", ".join(missed)


def summary_table(rows: list[dict], images: list[dict]) -> list[str]:
    lines = ["| photo | setting | faces found again (off) | dlib NME ratio | identity ratio | "
             "worst face: NME, identity (off → on) | max texture ratio (within bound) | style "
             "taken in faces | whole-image style distance vs off | max seam (off) | goals |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for image in images:
        if image["setting"] == "off":
            continue
        c = compare(rows, images, image["photo"], image["setting"])
        f = c["worst"]
        o = _of(rows, image["photo"], "off")[f["face"]]
        lines.append(
            f"| {image['photo']} | {image['setting']} | {c['kept']}/{c['faces']} "
            f"({c['kept_off']}) | "
            f"×{c['nme']:.2f} | ×{c['identity']:.2f} | #{f['face']} ({f['side_px']} px): "
            f"{o['dlib_nme']:.3f} → {f['dlib_nme']:.3f}, {o['dlib_identity']:.3f} → "
            f"{f['dlib_identity']:.3f} | {c['texture_max']:.2f} "
            f"({'yes' if c['texture_ok'] else 'NO'}) | {c['taken']:.2f} | "
            f"×{c['style_whole']:.3f} | {c['seam']:.2f} ({c['seam_off']:.2f}) | {_goals(c)} |")
    return lines


def face_table(rows: list[dict]) -> list[str]:
    lines = ["| photo | face (short side) | setting | dlib NME | dlib identity | texture ratio "
             "(bound) | style distance in face (photo's) | seam | found again |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["photo"], r["face"], r["setting"] != "off")):
        lines.append(
            f"| {r['photo']} | #{r['face']} ({r['side_px']} px) | {r['setting']} | "
            f"{r['dlib_nme']:.3f} | {r['dlib_identity']:.3f} | {r['texture_ratio']:.2f} "
            f"({r['texture_bound']:.2f}) | {r['style_face']:.3f} "
            f"({r['style_face_content']:.3f}) | {r['seam']:.2f} | "
            f"{'yes' if r['kept'] else 'NO'} |")
    return lines


def curve_table(rows: list[dict], images: list[dict]) -> list[str]:
    """The face-weight sweep: each weight against the face terms off."""
    lines = ["| photo | face weight | dlib NME ratio | identity ratio | style taken in faces "
             "| whole-image style distance vs off | max texture ratio |",
             "|---|---|---|---|---|---|---|"]
    for image in images:
        if image["setting"] == "off":
            continue
        c = compare(rows, images, image["photo"], image["setting"])
        weight = image["options"].get("face_weight", Options().face_weight)
        lines.append(f"| {image['photo']} | {weight:g} | "
                     f"×{c['nme']:.2f} | ×{c['identity']:.2f} | {c['taken']:.2f} | "
                     f"×{c['style_whole']:.3f} | {c['texture_max']:.2f} |")
    return lines
