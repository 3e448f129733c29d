"""Notes on KPI pages: Markdown rendered with raw HTML off, so a note can never inject markup or script."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# commonmark without raw HTML; markdown-it refuses javascript:, vbscript:, file: and data: links
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable("image")


def render_note(text: str) -> Markup:
    """Return a note's Markdown as safe HTML (any HTML in the text is shown as text)."""
    return Markup(_MARKDOWN.render(text))
