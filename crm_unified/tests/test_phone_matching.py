import re

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.crm_unified.tools.phone import phone_match_key
from odoo.addons.phone_validation.tools import phone_validation

from .test_import_crm_interaction import FIELDS, HEADER, OPTIONS

# Regions of the property tests: calling codes shared (+1, +7, +44) and not,
# national numbers with and without trunk prefix, with an Italian leading zero.
REGIONS = (
    "FR", "CH", "UA", "US", "CA", "GB", "DE", "IT", "BE", "PL", "ES", "NL", "AT",
    "AU", "BR", "IN", "JP", "MX", "RU", "KZ", "SE", "DK", "IE", "PT", "CZ", "TR",
    "IL", "ZA", "CN", "SG", "NZ", "FI",
)  # fmt: skip
TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)


@st.composite
def region_numbers(draw):
    """A region's example number with random last digits; None when not valid."""
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(TYPES)))
    if example is None:
        return None
    national = str(example.national_number)
    tail = draw(st.text("0123456789", min_size=4, max_size=4))
    number = phonenumbers.parse(f"+{example.country_code}{national[:-4]}{tail}")
    number.italian_leading_zero = example.italian_leading_zero
    if not phonenumbers.is_valid_number_for_region(number, region):
        return None
    return region, number


# (region, phonenumbers.PhoneNumber) of valid numbers
valid_numbers = region_numbers().filter(lambda value: value is not None)


@st.composite
def same_digits_in_two_countries(draw):
    """Keys of one digit string read in two calling codes, or None when one is no number."""
    region_a = draw(st.sampled_from(REGIONS))
    region_b = draw(st.sampled_from(REGIONS))
    code_a = phonenumbers.country_code_for_region(region_a)
    code_b = phonenumbers.country_code_for_region(region_b)
    digits = draw(st.text("0123456789", min_size=6, max_size=12))
    if draw(st.booleans()):
        # written with country code, read anywhere
        key_a = phone_match_key(f"+{code_a} {digits}", region_b)
        key_b = phone_match_key(f"00{code_b}{digits}", region_a)
    elif digits.startswith("00"):
        return None  # an international number (00 prefix), the same in both countries
    else:
        # written without, read in each country
        key_a = phone_match_key(digits, region_a)
        key_b = phone_match_key(digits, region_b)
    if code_a == code_b or not (key_a and key_b):
        return None
    if not (key_a.startswith(f"+{code_a}") and key_b.startswith(f"+{code_b}")):
        # digits that dial abroad where they are read ("011 33 ..." in the US)
        # are an international number, not a number of that country
        return None
    return key_a, key_b


def written_forms(region, number, separator):
    """The ways people write one number: international, national, 00, tel: URI."""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    rfc = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966)
    return {
        "e164": e164,
        "international": international,
        "international, other separators": international.replace(" ", separator),
        "00 prefix": "00" + e164[1:],
        "00 prefix, spaced": "00 " + international[1:],
        "tel: URI": rfc,
        "national": national,
        "national, other separators": re.sub(r"[ \-]", separator, national),
    }


@tagged("post_install", "-at_install")
class TestPhoneKeyProperties(TransactionCase):
    """Pure logic of tools/phone.py (Hypothesis, bounded examples)."""

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(valid_numbers, st.sampled_from(["", "-", ".", " "]), st.sampled_from(REGIONS))
    def test_same_number_in_any_format_gives_same_key(self, region_number, separator, reader):
        region, number = region_number
        forms = written_forms(region, number, separator)
        e164 = forms["e164"]
        for label, text in forms.items():
            if label.startswith("national"):
                # without country code a number is read in the customer's country
                self.assertEqual(phone_match_key(text, region), e164, f"{label}: {text}")
            else:
                # with it, wherever the reader is
                self.assertEqual(phone_match_key(text, reader), e164, f"{label}: {text}")
                self.assertEqual(phone_match_key(text, None), e164, f"{label}: {text}")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(valid_numbers)
    def test_key_is_what_odoo_sanitizes_for_blacklists(self, region_number):
        """The key of a valid number equals phone_validation's E.164 (blacklist form)."""
        region, number = region_number
        international = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        odoo_e164 = phone_validation.phone_format(
            international, region, number.country_code, force_format="E164"
        )
        self.assertEqual(phone_match_key(international, region), odoo_e164)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(same_digits_in_two_countries().filter(lambda value: value is not None))
    def test_numbers_of_two_countries_never_share_a_key(self, keys):
        """Same digits (e.g. the same last nine) in two calling codes: two keys."""
        key_a, key_b = keys
        self.assertNotEqual(key_a, key_b)

    def test_what_is_no_phone_number_has_no_key(self):
        for text, region in (("", "FR"), ("n/a", "FR"), ("12", "FR"), ("044 123 45 67", None)):
            self.assertFalse(phone_match_key(text, region), text)


@tagged("post_install", "-at_install")
class TestPhoneMatching(TransactionCase):
    """Customers found by phone exactly: import, duplicate finder, blacklist."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.ch")
        Partner = cls.env["res.partner"]
        cls.french = Partner.create(
            {
                "name": "Client Lyon",
                "is_company": True,
                "phone": "+33 6 12 34 56 78",
                "country_id": cls.env.ref("base.fr").id,
            }
        )
        cls.swiss = Partner.create(
            {
                "name": "Kunde Basel",
                "is_company": True,
                "phone": "+41 61 234 56 78",
                "country_id": cls.env.ref("base.ch").id,
            }
        )
        cls.Interaction = cls.env["crm.interaction"]

    def _import(self, phones):
        rows = "".join(
            f"2026-03-1{i} 10:00:00,,{phone},,,phone,inbound,Row {i}\n"
            for i, phone in enumerate(phones)
        )
        importer = self.env["base_import.import"].create(
            {
                "res_model": "crm.interaction",
                "file": (HEADER + rows).encode(),
                "file_type": "text/csv",
                "file_name": "interactions.csv",
            }
        )
        with mute_logger("odoo.addons.base_import.models.base_import"):
            return importer.execute_import(FIELDS, FIELDS, dict(OPTIONS))

    def test_swiss_number_is_never_attached_to_french_customer(self):
        """Issue example: both numbers end in 612345678."""
        self.assertEqual(self.french.crm_phone_key, "+33612345678")
        self.assertEqual(self.swiss.crm_phone_key, "+41612345678")
        result = self._import(["+41 61 234 56 78", "0041612345678", "061 234 56 78"])
        self.assertFalse(result["messages"])
        interactions = self.Interaction.browse(result["ids"])
        self.assertEqual(interactions.mapped("partner_id"), self.swiss)
        self.assertEqual(len(interactions), 3)
        result = self._import(["+33 6 12 34 56 78", "0033612345678"])
        self.assertEqual(self.Interaction.browse(result["ids"]).partner_id, self.french)

    def test_national_number_is_read_in_the_company_country(self):
        """The same ten digits are a Swiss number in Switzerland, a French one in France."""
        result = self._import(["06 12 34 56 78"])
        self.assertEqual(self.Interaction.browse(result["ids"]).partner_id, self.swiss)
        self.env.company.country_id = self.env.ref("base.fr")
        result = self._import(["06 12 34 56 78"])
        self.assertEqual(self.Interaction.browse(result["ids"]).partner_id, self.french)
        result = self._import(["+380 44 123 45 67"])
        self.assertFalse(result["ids"])
        self.assertIn("No customer matches this row", result["messages"][0]["message"])

    def test_number_shared_by_two_customers_is_reported_not_picked(self):
        other = self.env["res.partner"].create(
            {"name": "Kunde Basel (Filiale)", "mobile": "061 234 56 78"}
        )
        result = self._import(["+41 61 234 56 78"])
        self.assertFalse(result["ids"], "nothing is saved")
        message = result["messages"][0]["message"]
        self.assertIn("Several customers match this row", message)
        self.assertIn(self.swiss.name, message)
        self.assertIn(other.name, message)
        # Another key that tells them apart wins.
        self.swiss.ref = "BS-1"
        rows = "2026-03-10 10:00:00,,+41 61 234 56 78,,BS-1,phone,inbound,Row\n"
        importer = self.env["base_import.import"].create(
            {
                "res_model": "crm.interaction",
                "file": (HEADER + rows).encode(),
                "file_type": "text/csv",
                "file_name": "interactions.csv",
            }
        )
        with mute_logger("odoo.addons.base_import.models.base_import"):
            result = importer.execute_import(FIELDS, FIELDS, dict(OPTIONS))
        self.assertEqual(self.Interaction.browse(result["ids"]).partner_id, self.swiss)

    def test_number_of_a_company_and_its_contact_designates_the_company(self):
        self.env["res.partner"].create(
            {"name": "Anna Basel", "parent_id": self.swiss.id, "phone": "061 234 56 78"}
        )
        result = self._import(["+41 61 234 56 78"])
        self.assertEqual(self.Interaction.browse(result["ids"]).partner_id, self.swiss)

    def test_duplicate_finder_groups_one_number_not_the_same_last_digits(self):
        again = self.env["res.partner"].create(
            {
                "name": "Kunde Basel AG",
                "phone": "061-234-56-78",
                "country_id": self.swiss.country_id.id,
            }
        )
        self.env.flush_all()
        rows = self.env["crm.partner.duplicate"].search(
            [("match_type", "=", "phone"), ("partner_id", "in", (self.french | self.swiss).ids)]
        )
        self.assertEqual(rows.partner_id, self.swiss, "the French customer is no duplicate")
        self.assertEqual(rows.match_value, "+41612345678")
        group = self.env["crm.partner.duplicate"].search(
            [("match_type", "=", "phone"), ("match_value", "=", "+41612345678")]
        )
        self.assertEqual(group.partner_id, self.swiss | again)

    def test_phone_blacklist_reaches_only_the_owner_of_the_number(self):
        self.env["phone.blacklist"]._add(["+41612345678"])
        consents = (self.french | self.swiss)._crm_get_consent(["sms"])
        self.assertEqual(consents[self.swiss.id]["sms"], "opt_out")
        self.assertEqual(consents[self.french.id]["sms"], "unknown")
        self.assertFalse(self.french.consent_ids)

    def test_one_customer_opt_in_never_lifts_another_opt_out(self):
        """Two customers sharing an email: one opts out, the other opts in."""
        Partner = self.env["res.partner"]
        first = Partner.create({"name": "Shared One", "email": "shared@basel.example.com"})
        second = Partner.create({"name": "Shared Two", "email": "shared@basel.example.com"})
        first._crm_set_consent({"email": "opt_out"})
        second._crm_set_consent({"email": "opt_in"})
        blacklist = self.env["mail.blacklist"].with_context(active_test=False)
        self.assertTrue(blacklist.search([("email", "=", "shared@basel.example.com")]).active)
        self.assertEqual(first._crm_get_consent(["email"])[first.id]["email"], "opt_out")

    def test_upgrade_recomputes_old_last_digit_keys(self):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET crm_phone_key = '612345678' WHERE id IN %s",
                (self.french.id, self.swiss.id),
            )
        )
        self.env.invalidate_all()
        count = self.env["res.partner"]._crm_recompute_phone_keys()
        self.assertGreaterEqual(count, 2)
        self.assertEqual(
            (self.french.crm_phone_key, self.swiss.crm_phone_key),
            ("+33612345678", "+41612345678"),
        )
