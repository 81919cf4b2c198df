"""Page images: render → prepare (seal, light, skew) → grid (ruling lines → cells) →
recognition of cell crops by an engine of :mod:`pipeline.read.ocr`."""
