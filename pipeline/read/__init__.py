"""Readers: a file → :class:`pipeline.model.records.Reading` (rows of cell texts with
confidence and origin). ``text`` (text extractions), ``pdf`` (the text layer and vector
rules), ``scan`` + ``ocr`` (page images); ``route`` picks one. Readers never look at the
taxonomy's meaning of a row: that is :mod:`pipeline.recover`'s work."""
