"""Born-digital PDFs: words from the characters, ruled tables from the vector rules,
borderless tables by alignment, and the check that the text layer is real text."""
