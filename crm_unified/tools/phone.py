"""Phone numbers as exact matching keys, read by the ``phonenumbers`` library.

The key of a number is its full international form (E.164, "+41612345678"),
so that one number written in any format has one key and numbers of two
countries never share one, whatever their last digits.
"""

import re

import phonenumbers

# "0041 61 ..." is how most of the world writes "+41 61 ...". phonenumbers only
# reads 00 as the international prefix in regions where it dials abroad, so it
# is turned into "+" first (as Odoo's phone_validation does for such numbers).
INTERNATIONAL_00 = re.compile(r"^\s*00\s*(?=[1-9])")


def phone_match_key(number, region=None):
    """Exact matching key of a phone number.

    :param str number: the number as typed: "+41 61 234 56 78", "0041612345678",
        "061 234 56 78", "tel:+41-61-234-56-78", "(061) 234.56.78"
    :param str region: ISO 3166-1 alpha-2 code of the country in which a number
        written without country code is read (the customer's country, else the
        company's), e.g. "CH"; None when unknown
    :return: the E.164 form ("+41612345678"), or False when the text cannot be
        read as a possible phone number (no digits, wrong length, a national
        number without region)
    """
    if not number:
        return False
    text = INTERNATIONAL_00.sub("+", number)
    try:
        parsed = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_possible_number(parsed):
        return False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
