"""Is a customer's phone number usable for an SMS or a call?

Odoo's ``phone_validation`` sanitises numbers with the ``phonenumbers`` library.
Without that library it returns every number as typed, so a plain check stands
in for it: 8 to 15 digits (the E.164 range, country code included) and no
letters.
"""

try:
    import phonenumbers  # noqa: F401  (only whether it is there matters)

    PHONENUMBERS_AVAILABLE = True
except ImportError:
    PHONENUMBERS_AVAILABLE = False

E164_MIN_DIGITS = 8
E164_MAX_DIGITS = 15


def contact_number(partner, code):
    """The number Odoo uses for this channel: mobile first for SMS, phone first for calls."""
    if code == "phone":
        return partner.phone or partner.mobile or ""
    return partner.mobile or partner.phone or ""


def is_usable_phone(partner, number):
    """True when the number has no letters and Odoo's sanitisation accepts it
    (without the ``phonenumbers`` library: when it has 8-15 digits).

    Letters are refused even though ``phonenumbers`` reads them as keypad
    digits: "+32 456 CALL ME" is a note typed in the number field, and its
    keypad reading (+32 456 225563) would text a number nobody gave us.
    """
    if not number or any(char.isalpha() for char in number):
        return False
    if not partner._phone_format(number=number, country=partner.country_id):
        return False
    if PHONENUMBERS_AVAILABLE:
        return True
    digits = sum(char.isdigit() for char in number)
    return E164_MIN_DIGITS <= digits <= E164_MAX_DIGITS
