"""Phone numbers in one canonical form (E.164), so a caller is found however the number is typed."""

import phonenumbers

DEFAULT_REGION = "DE"
MIN_DIGITS = 6


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """Return the E.164 form of ``raw`` or ``None`` when it is not a plausible number."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    # "Possible" alone admits "12" as +4912; real numbers have an area code plus a subscriber part.
    if not phonenumbers.is_possible_number(parsed) or len(str(parsed.national_number)) < MIN_DIGITS:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str) -> bool:
    """True when ``text`` is mostly digits: the desk searches numbers, everything else by name."""
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 4 and digits >= len(text.replace(" ", "")) * 0.6
