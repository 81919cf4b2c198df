"""Is the text layer of a born-digital PDF usable? Garbage, mojibake, or missing.

These checks only diagnose; :func:`pipeline.read.pdf.reader.read_pdf` decides from them whether
to skip pages, or to raise ``NeedsOCR`` or ``BadPDF``.
"""

from __future__ import annotations

import unicodedata

import pymupdf

# the most frequent characters of these reports: real text is full of them, mojibake
# (a broken font map read as arbitrary CJK code points) almost never hits them
_COMMON = frozenset(
    "的政府信息公开申请年情况处理本行数量其他不予机关法人组织一二三四五六七八九十规章件文性决定"
    "务工作主动依有及等按照进了服开展对于和为在中国区县市镇局委会办室民报告发布网站平台制度建设"
    "落实要求提供复议诉讼结果维持纠正审结总计收到新上转下继续部分家密护第方合权益内事过程执案卷"
    "查询项掌握相没现成需另作补后容明确访举投类重出版物无当理由大量反认具已获取逾期费通知缴纳用"
    "元万是以加强化管统推各我全面"
)
_MARKERS = {
    "applications": ("予以公开", "本年新收", "上年结转", "不予处理"),
    "active_disclosure": ("第二十条", "信息内容", "规范性文件"),
    "review_litigation": ("结果维持", "尚未审结", "直接起诉", "复议后起诉"),
}


def _garbage(text: str) -> str | None:
    """Why this text layer is not real text, or None when it reads as text (or is too short)."""
    chars = [c for c in text if not c.isspace()]
    n = len(chars)
    if n < 20:
        return None
    bad = sum(c == "\ufffd" or unicodedata.category(c) in ("Co", "Cn", "Cc", "Cs") for c in chars)
    if bad > 0.2 * n:
        return f"{bad} of {n} characters are private-use, unassigned or replacement characters"
    cjk = [c for c in chars if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"]
    if len(cjk) >= 30:
        common = sum(c in _COMMON for c in cjk) / len(cjk)
        if common < 0.15:
            return f"only {common:.0%} of its Chinese characters are common ones (mojibake)"
    elif len(cjk) < 0.1 * n:
        if sum("\u0080" <= c <= "\u024f" for c in chars) > 0.3 * n:
            return "mostly accented Latin letters (mojibake of Chinese text)"
        if sum(c.isalnum() for c in chars) < 0.4 * n:
            return "mostly symbols"
    return None


def unusable_pages(doc: pymupdf.Document, texts: list[str]) -> tuple[dict[int, str], list[int]]:
    """The pages whose text cannot be read, with why, and the pages without any content.

    A page is unusable when its text is garbage, or it has next to no text but an image
    (or thousands of vector paths: outlined glyphs), or its text is an invisible OCR layer.
    Pages are numbered from 0 in the first, from 1 in the second.
    """
    unusable: dict[int, str] = {}
    empty = []
    for i, text in enumerate(texts):
        why = _garbage(text)
        if why:
            unusable[i] = why
        elif len(text.strip()) < 20:
            page = doc[i]
            if page.get_images():
                unusable[i] = "no text layer, an image"
            elif len(page.get_drawings()) > 300:
                unusable[i] = "no text layer, text drawn as outlines"
            elif not text.strip():
                empty.append(i + 1)
        elif _invisible(doc[i]):
            unusable[i] = "an invisible OCR text layer over an image"
    return unusable, empty


def missing_tables(text: str) -> list[str]:
    """The tables none of whose marker phrases occur in the text."""
    return [t for t, marks in _MARKERS.items() if not any(m in text for m in marks)]


def _invisible(page: pymupdf.Page) -> bool:
    """True when most text is invisible (render mode 3) over an image: someone's OCR layer."""
    if not page.get_images():
        return False
    spans = page.get_texttrace()
    total = sum(len(s["chars"]) for s in spans)
    return total > 0 and sum(len(s["chars"]) for s in spans if s["type"] == 3) > 0.5 * total
