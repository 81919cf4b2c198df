"""Write one small hard copy of each variant (pipeline.hardcopy) into samples/hardcopy/.

Run: ``python samples/make_hardcopies.py``. Seeded, so the committed files change only with
this script or the generator. Made from the 2-page samples of make_samples.py (the
borderless scan from the borderless one); each copy's truth is its source's, beside it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from pipeline.hardcopy import Variant, make  # noqa: E402

OUT = ROOT / "hardcopy"
SEED = 10
SOURCES = {
    Variant.BORDERLESS_SCAN: ROOT / "generated" / "gen_2021_borderless.pdf",
}
DEFAULT = ROOT / "generated" / "gen_2021_split.pdf"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for v in Variant:
        src = SOURCES.get(v, DEFAULT)
        name = f"{src.stem}.{v}"
        made = make(src, v, SEED, OUT / f"{name}.pdf")
        truth = json.loads(src.with_suffix(".truth.json").read_text(encoding="utf-8"))
        (OUT / f"{name}.truth.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        size = made.path.stat().st_size
        print(f"{name}.pdf: {made.pages} pages, {size // 1024} KiB; {'; '.join(made.notes)}")


if __name__ == "__main__":
    main()
