"""HTML mail made safe to show (nh3) and readable as plain text."""

import re
from html.parser import HTMLParser

import nh3

# Inline images are shown from the ticket's own attachments, so ``cid:`` links must survive.
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
_BLOCK = {
    "p",
    "div",
    "table",
    "tr",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "hr",
    "address",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
}
_SKIP = {"style", "script", "head", "title", "xml", "o:p"}


def sanitize_html(html: str) -> str:
    """Markup safe to embed in the desk: no scripts, styles, event handlers or remote forms."""
    try:
        return nh3.clean(
            html,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        ).strip()
    except Exception:
        # nh3 refuses only pathological input (e.g. lone surrogates); show it as text instead.
        return ""


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.quote_depth = 0
        self.in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self._newline()
        elif tag == "li":
            self._newline()
            self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "blockquote":
            self._block()
            self.quote_depth += 1
        elif tag in _BLOCK:
            self._block()
            if tag == "pre":
                self.in_pre += 1
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self._block()
        elif tag in _BLOCK:
            if tag == "pre":
                self.in_pre = max(0, self.in_pre - 1)
            self._block()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.in_pre:
            data = re.sub(r"\s+", " ", data)
        self.parts.append(data)

    def _newline(self) -> None:
        self.parts.append("\n")

    def _block(self) -> None:
        self.parts.append("\n\n")

    def text(self) -> str:
        raw = "".join(self.parts).replace("\xa0", " ")
        lines = [line.strip() for line in raw.split("\n")]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str) -> str:
    """A readable plain-text version: paragraphs and line breaks kept, markup and styles gone."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()
