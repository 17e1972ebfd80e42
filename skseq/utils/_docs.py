"""Docstrings composed from shared parts (no heavy imports: the baselines
use it without torch)."""

from __future__ import annotations

import re
import textwrap


def fill_doc_marker(doc: str, marker: str, text: str, required: bool = False) -> str:
    """``doc`` with its line ``marker`` replaced by ``text``, indented like it.

    A ``doc`` without the line is returned as is, or a ``ValueError`` when
    ``required``.
    """
    match = re.search(rf"^([ \t]*){re.escape(marker)}[ \t]*$", doc, flags=re.MULTILINE)
    if match is None:
        if required:
            raise ValueError(f"the docstring has no {marker} line to fill")
        return doc
    text = textwrap.indent(text, match.group(1))
    return doc[: match.start()] + text + doc[match.end() :]
