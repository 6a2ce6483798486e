"""Before/after crops of the worst face of every photo in a bench/faces.py table (issue 9).

For each photo, the face whose dlib identity distance grew least in proportion with the face
terms on (the worst face of :func:`bench.face_tables.compare`) is cut from the content, the
result with the face terms off and the result with each other setting, at its crop box,
enlarged to ``--side`` pixels, and saved side by side (content | off | setting ...) as one PNG
per photo in ``--to``. The results are read from bench/faces.py's folder, so the bench must have
run first; nothing is written into the repository. Run
``python bench/face_crops.py [bench/results/faces-table-256.json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine.faces import FaceLocator  # noqa: E402
from backend.engine.images import prepare  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from bench.face_tables import compare  # noqa: E402
from bench.faces import OUT, content_photo, run_key  # noqa: E402
from shared.options import Options  # noqa: E402

CAPTION = 14  # pixels of caption under each panel


def panel(image: Image.Image, crop: list[float], side: int, caption: str) -> Image.Image:
    """``crop`` (x0, y0, x1, y1 pixels) of ``image`` enlarged to ``side`` wide (nearest, so
    the pixels the judge saw stay visible), with ``caption`` under it."""
    box = tuple(round(v) for v in crop)
    face = image.crop(box)
    height = round(side * face.height / max(face.width, 1))
    out = Image.new("RGB", (side, height + CAPTION), "white")
    out.paste(face.resize((side, height), Image.NEAREST), (0, 0))
    ImageDraw.Draw(out).text((2, height + 1), caption, fill="black")
    return out


def crops_of(photo: str, table: dict, side: int, folder: Path, models: ModelBundle) -> Path:
    """The side-by-side crops of ``photo``'s worst face; returns the file written."""
    rows, images = table["faces"], table["images"]
    settings = [i for i in images if i["photo"] == photo]
    others = [i["setting"] for i in settings if i["setting"] != "off"]
    worst = max((compare(rows, images, photo, s)["worst"] for s in others),
                key=lambda f: f["dlib_identity"])
    results = {i["setting"]: Image.open(folder / f"{run_key(photo, i['options'])}.png")
               for i in settings}
    size = results["off"].size
    content = content_photo(photo).resize(size, Image.LANCZOS)
    options = Options(**settings[0]["options"])
    faces = FaceLocator(size, options, models.face_detector()).at(
        prepare(content).tensor(size))
    crop = faces.crops[worst["face"]].tolist()
    panels = [panel(content, crop, side, "content")]
    for setting in ["off", *others]:
        face = next(r for r in rows if r["photo"] == photo and r["setting"] == setting
                    and r["face"] == worst["face"])
        panels.append(panel(results[setting], crop, side,
                            f"{setting}: id {face['dlib_identity']:.2f}"))
    sheet = Image.new("RGB", (sum(p.width for p in panels), max(p.height for p in panels)),
                      "white")
    for i, image in enumerate(panels):
        sheet.paste(image, (i * side, 0))
    target = folder / "crops" / f"{photo}-face{worst['face']}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", type=Path, nargs="?",
                        default=Path(__file__).parent / "results" / "faces-table-256.json")
    parser.add_argument("--results", type=Path, default=OUT,
                        help=f"bench/faces.py's results folder ({OUT}); crops go to its "
                             "crops/ folder")
    parser.add_argument("--side", type=int, default=160, help="panel width in pixels")
    args = parser.parse_args()
    table = json.loads(args.table.read_text())
    models = ModelBundle("cpu")
    for photo in dict.fromkeys(i["photo"] for i in table["images"]):
        print(crops_of(photo, table, args.side, args.results, models))


if __name__ == "__main__":
    main()
