"""Small display filters of the desk templates."""

from datetime import timedelta

import phonenumbers
from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """ "+49891234567" → "+49 89 1234567": stored in E.164, shown the way people read numbers."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


QUOTE_STARTS = ("-----Original Message-----", "-----Ursprüngliche Nachricht-----")


def _is_quote_intro(line: str) -> bool:
    stripped = line.strip()
    if stripped in QUOTE_STARTS:
        return True
    # "Am 3. März 2026 um 10:00 schrieb Petra Müller:" / "On Mon, … Petra wrote:"
    return stripped.endswith(("schrieb:", "wrote:")) and len(stripped) < 200


@register.filter
def fold_quotes(text: str) -> SafeString:
    """Plain text as HTML with quoted parts (``>`` lines, a quoted original) folded away."""
    lines = (text or "").splitlines()
    out: list[str] = []
    quote: list[str] = []
    in_original = False

    def flush() -> None:
        if quote:
            out.append(
                format_html(
                    '<details class="quoted"><summary>{}</summary><div>{}</div></details>',
                    _("quoted text"),
                    mark_safe("<br>".join(escape(q) for q in quote)),
                )
            )
            quote.clear()

    for line in lines:
        if in_original or line.lstrip().startswith(">") or _is_quote_intro(line):
            if _is_quote_intro(line) and line.strip() in QUOTE_STARTS:
                in_original = True  # everything below a quoted original is the quote
            quote.append(line)
            continue
        flush()
        out.append(escape(line) + "<br>")
    flush()
    html = "".join(out)
    return mark_safe(html.removesuffix("<br>"))


@register.filter
def duration(span: timedelta) -> str:
    from laufzettel.desk.timeline import describe_duration

    return describe_duration(span)
