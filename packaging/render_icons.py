"""Render the app icon (an SVG) into the raster icons desktops ask for.

    python packaging/render_icons.py [--svg FILE] [--out DIR]

Writes, under DIR (default packaging/build/icons):

    hicolor/{16,32,48,64,128,256,512}x.../apps/umt-desktop.png   Linux icon theme layout
    hicolor/scalable/apps/umt-desktop.svg
    umt-desktop.ico    Windows (16-256 px, PNG-compressed entries)
    umt-desktop.icns   macOS (16-512 px, PNG entries)

The SVG defaults to the one in resources/icons/ (umt-desktop.svg, else app.svg,
else the only SVG there). Qt's SVG renderer does the drawing, offscreen, so no
display and no extra tool (Inkscape, ImageMagick, iconutil) is needed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "umt-desktop"
SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns entry types that hold PNG data, by pixel size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}


def find_app_svg(icons_dir: Path = ROOT / "resources" / "icons") -> Path | None:
    """The app icon's SVG, or None when resources/icons/ has none yet."""
    for name in (f"{NAME}.svg", "app.svg"):
        if (icons_dir / name).is_file():
            return icons_dir / name
    svgs = sorted(icons_dir.glob("*.svg")) if icons_dir.is_dir() else []
    if len(svgs) > 1:
        # Several SVGs (toolbar icons...): prefer the one that looks like the app's.
        named = [p for p in svgs if "app" in p.stem or "umt" in p.stem or "logo" in p.stem]
        svgs = named or svgs
    return svgs[0] if svgs else None


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    renderer.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are PNG images (understood since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, payload = b"", b""
    for size in sizes:
        data = pngs[size]
        # Width/height 0 means 256 in the directory entry.
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + entries + payload


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns made of PNG entries (what iconutil writes for an .iconset)."""
    body = b"".join(
        ICNS_TYPES[size] + struct.pack(">I", 8 + len(data)) + data
        for size, data in sorted(pngs.items())
        if size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def render_all(svg: Path, out: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (fonts for SVG text)
    pngs = {size: render_png(svg, size) for size in sorted(set(SIZES) | set(ICO_SIZES))}
    written = []
    for size in SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pngs[size])
        written.append(path)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    (out / f"{NAME}.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (out / f"{NAME}.icns").write_bytes(icns({s: pngs[s] for s in SIZES}))
    return [*written, scalable, out / f"{NAME}.ico", out / f"{NAME}.icns"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, help="the app icon (default: found in resources/icons/)")
    parser.add_argument("--out", type=Path, default=ROOT / "packaging" / "build" / "icons")
    args = parser.parse_args(argv)
    svg = args.svg or find_app_svg()
    if svg is None:
        print("render_icons: no SVG in resources/icons/; nothing to render", file=sys.stderr)
        return 1
    if not svg.is_file():
        print(f"render_icons: {svg}: no such file", file=sys.stderr)
        return 1
    for path in render_all(svg, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
