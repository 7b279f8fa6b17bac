"""Small display filters of the desk templates."""

import phonenumbers
from django import template

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """ "+49891234567" → "+49 89 1234567": stored in E.164, shown the way people read numbers."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
