"""Hard copies of born-digital filings (rotated, skewed, photographed, faxed, marked, …),
seeded, with the source's truth, to measure gongkai where archives and users break it."""

from pipeline.hardcopy.variants import HardCopy, Variant, make

__all__ = ["HardCopy", "Variant", "make"]
