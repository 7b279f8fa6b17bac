"""Our parse of a Zammad corpus message against its expectation (for the test and the docs)."""

import difflib
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from laufzettel.mail.parse import ParsedMessage, parse_message


@dataclass
class Comparison:
    name: str
    reasons: list[str]
    body_share: float

    @property
    def matches(self) -> bool:
        return not self.reasons


def words(text: str) -> list[str]:
    """Tags stripped, entities resolved, whitespace and case folded."""
    text = re.sub(r"<(style|script)\b.*?</\1\s*>", " ", text, flags=re.S | re.I)
    # Inline markup splits no words ("<span>foo</span>bar"); block markup and breaks do.
    text = re.sub(
        r"</?(span|a|b|i|u|em|strong|font|small|big|sub|sup)\b[^>]*>", "", text, flags=re.I
    )
    text = re.sub(r"<[^>]*>", " ", text)
    return html.unescape(text).casefold().split()


def body_share(expected: str, actual: str) -> float:
    want = words(expected)
    got = words(actual)
    # Zammad's placeholder for a mail without text: we leave such a body empty.
    if want == ["no", "visible", "content"]:
        return 1.0 if not got else 0.0
    if not want:
        return 1.0
    matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(want)


def expected_attachments(expected: dict[str, Any]) -> list[str]:
    # Zammad keeps the original HTML of a mail as an extra "message.html" attachment
    # (content-alternative); we keep it as the article's sanitised HTML body instead.
    names = []
    for item in expected.get("attachments") or []:
        prefs = item.get("preferences") or {}
        if str(prefs.get("content-alternative", "")).lower() == "true":
            continue
        names.append(item.get("filename", ""))
    return sorted(names)


def compare(box: Path) -> tuple[Comparison, ParsedMessage]:
    expected = yaml.load(box.with_suffix(".yml").read_text("utf-8"), Loader=yaml.BaseLoader)
    parsed = parse_message(box.read_bytes())
    reasons = []
    # Like Zammad's own test, a field the expectation does not contain is not compared.
    if (
        "from_email" in expected
        and expected["from_email"].casefold() != parsed.from_email.casefold()
    ):
        reasons.append(f"from_email {parsed.from_email!r} != {expected['from_email']!r}")
    if "from_display_name" in expected and expected["from_display_name"] != parsed.from_name:
        reasons.append(f"from name {parsed.from_name!r} != {expected['from_display_name']!r}")
    if expected.get("subject", "") != parsed.subject:
        reasons.append(f"subject {parsed.subject[:80]!r} != {expected.get('subject', '')[:80]!r}")
    got_names = sorted(a.filename for a in parsed.attachments)
    if "attachments" in expected and got_names != expected_attachments(expected):
        reasons.append(f"attachments {got_names} != {expected_attachments(expected)}")
    actual_body = (
        parsed.html if expected.get("content_type") == "text/html" and parsed.html else parsed.text
    )
    share = body_share(expected.get("body", ""), actual_body)
    if share < 0.9:
        reasons.append(f"body {share:.0%} of expected words")
    return Comparison(box.stem, reasons, share), parsed
