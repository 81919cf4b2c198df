"""Pages as images: PDF pages via PyMuPDF, and PNG/JPEG/TIFF files (multi-page TIFF too).

Each page comes with its size in PDF points and its dpi, so a pixel box maps back to
points as ``px * 72 / dpi``. Scanned PDFs are rendered at their own image resolution
capped at ``max_dpi``: more pixels than the scanner gave add time, not information.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymupdf

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
DEFAULT_DPI = 200  # for pages without an embedded image, and image files without a dpi
MIN_DPI = 150  # below this 9 pt table text is too small for the recogniser
# an A3 page at 300 dpi is 17 MP; a page needing more than this is not a report page, and
# rendering it would take gigabytes: it gets a clear error instead
MAX_PIXELS = 60_000_000
# an image file is decoded whole before it is scaled down: past this (750 MB of pixels) it
# is refused from its header, before OpenCV tries (and fails with an assertion)
MAX_IMAGE_PIXELS = 250_000_000


class PageTooLarge(Exception):
    """A page too large to render for OCR."""


def _check_size(number: int, width_pt: float, height_pt: float, dpi: float) -> None:
    pixels = (width_pt * dpi / 72) * (height_pt * dpi / 72)
    if pixels > MAX_PIXELS:
        raise PageTooLarge(
            f"page {number} is {width_pt / 72:.0f}×{height_pt / 72:.0f} in: at {dpi:.0f} dpi "
            f"that is {pixels / 1e6:.0f} megapixels, over the {MAX_PIXELS / 1e6:.0f} MP limit"
        )


def _check_image_size(path: Path) -> None:
    """Raise ``PageTooLarge`` for an image file too large to decode, from its header alone."""
    try:
        with pymupdf.open(path) as doc:  # reads headers; pixels are decoded only on demand
            sizes = [
                (n, i["width"], i["height"])
                for n, pg in enumerate(doc, 1)
                for i in pg.get_image_info()
            ]
    except Exception:  # noqa: BLE001 - formats MuPDF cannot open are left to OpenCV
        return
    for n, w, h in sizes:
        if w * h > MAX_IMAGE_PIXELS:
            raise PageTooLarge(
                f"page {n} of the image is {w}×{h} pixels ({w * h / 1e6:.0f} megapixels), "
                f"over the {MAX_IMAGE_PIXELS / 1e6:.0f} MP limit for an image file"
            )


@dataclass(frozen=True)
class PageImage:
    """One page: BGR uint8 pixels, its number from 1, and the dpi the pixels have."""

    number: int
    image: np.ndarray
    dpi: float
    width_pt: float
    height_pt: float
    origin: tuple[float, float] = (0.0, 0.0)  # its top-left on the page, points (a clip)


def _pix_to_bgr(pix: pymupdf.Pixmap) -> np.ndarray:
    if pix.alpha or pix.n not in (1, 3):
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix, 0)
    arr = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    if pix.n == 1:
        return np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr[:, :, ::-1])


def native_dpi(page: pymupdf.Page) -> float | None:
    """The resolution of the largest image drawn on the page (a scan's own dpi)."""
    best: tuple[float, float] | None = None
    for info in page.get_image_info():
        x0, y0, x1, y1 = info["bbox"]
        area = (x1 - x0) * (y1 - y0)
        if area <= 0 or not info.get("width"):
            continue
        dpi = info["width"] / ((x1 - x0) / 72.0)
        if best is None or area > best[0]:
            best = (area, dpi)
    if best is None or best[0] < 0.25 * page.rect.width * page.rect.height:
        return None
    return best[1]


def choose_dpi(native: float | None, max_dpi: float) -> float:
    """Native resolution, clamped to [MIN_DPI, max_dpi]."""
    if native is None:
        return min(DEFAULT_DPI, max_dpi)
    return float(min(max(native, MIN_DPI), max_dpi))


def pdf_pages(
    path: Path, max_dpi: float = 200, only: frozenset[int] | None = None
) -> Iterator[PageImage]:
    """Render each page of a PDF (or those in ``only``, from 1) at its scan's dpi (capped)."""
    with pymupdf.open(path) as doc:
        for i in range(doc.page_count):
            if only is not None and i + 1 not in only:
                continue
            page = doc.load_page(i)
            dpi = choose_dpi(native_dpi(page), max_dpi)
            _check_size(i + 1, page.rect.width, page.rect.height, dpi)
            pix = page.get_pixmap(dpi=round(dpi), colorspace=pymupdf.csRGB, alpha=False)
            w, h = page.rect.width, page.rect.height
            yield PageImage(i + 1, _pix_to_bgr(pix), pix.width * 72.0 / w, w, h)


def clip_image(
    page: pymupdf.Page, box: tuple[float, float, float, float], max_dpi: float = 200
) -> PageImage:
    """A region of a PDF page (an image pasted on a text page) at its image's dpi (capped),
    with a margin of white paper around it: a table's outer rules at the very edge of the
    pixels would be cut off from the grid."""
    import cv2

    rect = pymupdf.Rect(box)
    native = None
    for info in page.get_image_info():  # the image that covers most of the region
        r = pymupdf.Rect(info["bbox"]) & rect
        if not r.is_empty and r.get_area() > 0.5 * rect.get_area() and info.get("width"):
            native = info["width"] / (pymupdf.Rect(info["bbox"]).width / 72.0)
            break
    dpi = choose_dpi(native, max_dpi)
    _check_size(page.number + 1, rect.width, rect.height, dpi)
    pix = page.get_pixmap(dpi=round(dpi), clip=rect, colorspace=pymupdf.csRGB, alpha=False)
    dpi = pix.width * 72.0 / rect.width
    pad = round(dpi * 0.1)
    img = cv2.copyMakeBorder(
        _pix_to_bgr(pix), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255)
    )
    h, w = img.shape[:2]
    at = (rect.x0 - pad * 72.0 / dpi, rect.y0 - pad * 72.0 / dpi)
    return PageImage(page.number + 1, img, dpi, w * 72.0 / dpi, h * 72.0 / dpi, at)


def image_page_count(path: Path) -> int:
    """The number of frames of an image file, from its headers (no pixel is decoded)."""
    import cv2

    if path.suffix.lower() in (".tif", ".tiff"):
        try:
            return max(int(cv2.imcount(str(path))), 1)
        except cv2.error:
            return 1
    return 1


def _frames(path: Path) -> Iterator[np.ndarray]:
    """The frames of an image file decoded one at a time: a multi-page TIFF of hundreds of
    large frames must not be held in memory all at once (it took 15.5 GB when it was)."""
    import cv2

    count = image_page_count(path) if path.suffix.lower() in (".tif", ".tiff") else 0
    got = 0
    for i in range(count if count > 1 else 0):
        ok, mats = cv2.imreadmulti(str(path), start=i, count=1, flags=cv2.IMREAD_COLOR)
        if not ok or not mats:
            break
        got += 1
        yield mats[0]
        del mats
    if got:
        return
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"{path}: not a readable image")
    yield img


def image_pages(path: Path, max_dpi: float = 200) -> Iterator[PageImage]:
    """Pages of an image file; every frame of a multi-page TIFF is a page, decoded in turn."""
    import cv2

    _check_image_size(path)
    dpi_meta = _image_dpi(path)
    for n, frame in enumerate(_frames(path), start=1):
        img = frame
        dpi = dpi_meta or _guess_dpi(img)
        target = choose_dpi(dpi, max_dpi)
        if target < dpi * 0.95:
            f = target / dpi
            img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            dpi = target
        del frame
        h, w = img.shape[:2]
        _check_size(n, w * 72.0 / dpi, h * 72.0 / dpi, dpi)
        yield PageImage(n, img, dpi, w * 72.0 / dpi, h * 72.0 / dpi)


def _image_dpi(path: Path) -> float | None:
    """The dpi the file declares, via PyMuPDF (reads PNG pHYs, JPEG JFIF, TIFF tags)."""
    try:
        pix = pymupdf.Pixmap(str(path))
    except Exception:  # noqa: BLE001 - formats MuPDF cannot open just have no dpi
        return None
    return float(pix.xres) if pix.xres and pix.xres >= 72 and pix.xres != 96 else None


def _guess_dpi(img: np.ndarray) -> float:
    """Without metadata, assume an A4 page (210 mm wide): pixels / 8.27 in."""
    h, w = img.shape[:2]
    return max(72.0, min(w, h) / 8.27)


def pages(
    path: Path, max_dpi: float = 200, only: frozenset[int] | None = None
) -> Iterator[PageImage]:
    """The pages of a PDF or image file (those in ``only``, from 1), as images."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return (p for p in image_pages(path, max_dpi) if only is None or p.number in only)
    return pdf_pages(path, max_dpi, only)
