"""Where a mail's own words end: quoted history and signature, to be folded in the timeline.

The full text is always kept on the article; this only says where folding may start.
"""

import re

# Lines that introduce the quoted original in German and English mail clients.
_ATTRIBUTION = re.compile(
    r"^(am .+ schrieb .+:|on .+ wrote:|-+ ?(original message|ursprüngliche nachricht) ?-+|"
    r"von: .+|from: .+|gesendet: .+|sent: .+)\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(-- ?|__+|mit freundlichen grüßen|best regards|kind regards)\s*$", re.I)


def split_quoted(text: str) -> tuple[str, str]:
    """``(own words, folded rest)``: the rest starts at the first attribution line, quote block
    (``>``) or signature separator; text without them is returned whole."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index == 0:
            continue
        if _ATTRIBUTION.match(stripped) or _SIGNATURE.match(line.rstrip()):
            break
        if stripped.startswith(">") and all(
            not rest.strip() or rest.lstrip().startswith(">") for rest in lines[index:]
        ):
            break
    else:
        return text, ""
    own = "\n".join(lines[:index]).rstrip()
    if not own:
        return text, ""
    return own, "\n".join(lines[index:]).strip("\n")
