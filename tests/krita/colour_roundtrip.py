"""Run by ``kritarunner`` (no window): the plug-in's pixel path through Krita's own colour
conversion, for each depth and for linear profiles. Writes ``$PS_TEST_OUT/colour.json`` last."""

import json
import os
import traceback

from krita import Krita

from krita_plugin import canvas

WIDTH, HEIGHT = 16, 8
CASES = (("U8", "sRGB-elle-V2-srgbtrc.icc"), ("U16", "sRGB-elle-V2-g10.icc"),
         ("F16", "sRGB-elle-V2-srgbtrc.icc"), ("F32", "sRGB-elle-V2-g10.icc"))


def pattern():
    """8-bit sRGB B, G, R, A samples: a ramp in each channel, alpha from 55 to 255."""
    data = bytearray()
    for y in range(HEIGHT):
        for x in range(WIDTH):
            data += bytes([(x * 16) % 256, (y * 32) % 256, (x * 8 + y * 8) % 256,
                           55 + (x * 200) // (WIDTH - 1)])
    return bytes(data)


def case(depth, profile):
    document = Krita.instance().createDocument(WIDTH, HEIGHT, depth, "RGBA", "U8",
                                               "sRGB-elle-V2-srgbtrc.icc", 72.0)
    node = document.topLevelNodes()[0]
    node.setPixelData(pattern(), 0, 0, WIDTH, HEIGHT)
    document.setColorSpace("RGBA", depth, profile)
    document.waitForDone()
    region = canvas.Region(0, 0, WIDTH, HEIGHT)
    image = canvas.read_image(node, region)
    back = canvas.result_pixels(image, canvas.ResultRequest(region, canvas.colour_space(node),
                                                            None, None))
    original = bytes(node.pixelData(0, 0, WIDTH, HEIGHT))
    document.close()
    return {"dtype": image.dtype, "channels": image.channels, "sent": image.data.hex(),
            "depth": node.colorDepth(), "back": back.hex(), "original": original.hex()}


def main(*_):
    out = os.environ["PS_TEST_OUT"]
    report = {}
    try:
        report["cases"] = {depth: case(depth, profile) for depth, profile in CASES}
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        report["exception"] = traceback.format_exc()
    report["finished"] = True
    with open(os.path.join(out, "colour.json"), "w", encoding="utf-8") as handle:
        json.dump(report, handle)
