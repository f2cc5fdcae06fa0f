from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import file_open, mute_logger

from .crm_interaction_common import CrmInteractionCommon

HEADER = "date,partner_email,partner_phone,partner_vat,partner_ref,channel_id,direction,subject\n"
FIELDS = HEADER.strip().split(",")
OPTIONS = {
    "has_headers": True,
    "quoting": '"',
    "separator": ",",
    "date_format": "%Y-%m-%d",
    "datetime_format": "%Y-%m-%d %H:%M:%S",
}


@tagged("post_install", "-at_install")
class TestImportCrmInteraction(CrmInteractionCommon):
    def _import(self, rows, dryrun=False):
        importer = self.env["base_import.import"].create(
            {
                "res_model": "crm.interaction",
                "file": (HEADER + rows).encode(),
                "file_type": "text/csv",
                "file_name": "interactions.csv",
            }
        )
        with mute_logger("odoo.addons.base_import.models.base_import"):
            return importer.execute_import(FIELDS, FIELDS, dict(OPTIONS), dryrun=dryrun)

    def _count(self):
        return self.Interaction.search_count([("commercial_partner_id", "=", self.customer.id)])

    def test_import_matches_customers_by_email_phone_vat_and_ref(self):
        # A number without country code is read in the company's country.
        self.env.company.country_id = self.env.ref("base.ua")
        rows = (
            "2026-03-14 10:30:00,OKSANA@kvitka.example.com,,,,phone,inbound,By email\n"
            "2026-03-15 16:00:00,,044 123-45-67,,,visit,outbound,By phone\n"
            "2026-03-16 09:00:00,,,ua1234567890,,letter,outbound,By VAT\n"
            "2026-03-17 11:15:00,,,,CUST-042,email,inbound,By reference\n"
        )
        result = self._import(rows, dryrun=True)
        self.assertFalse(result["messages"])
        self.assertEqual(self._count(), 0, "a dry run saves nothing")
        result = self._import(rows)
        self.assertFalse(result["messages"])
        interactions = self.Interaction.browse(result["ids"])
        self.assertEqual(interactions.mapped("partner_id"), self.contact | self.customer)
        self.assertEqual(interactions[0].partner_id, self.contact)
        self.assertEqual(set(interactions.mapped("source")), {"import"})
        self.assertEqual(
            interactions.mapped("channel_id.code"), ["phone", "visit", "letter", "email"]
        )

    def test_row_matching_nobody_is_reported_and_nothing_saved(self):
        rows = (
            "2026-03-14 10:30:00,oksana@kvitka.example.com,,,,phone,inbound,Good row\n"
            "2026-03-15 16:00:00,ghost@nowhere.example.com,,,,phone,inbound,Ghost row\n"
        )
        result = self._import(rows)
        self.assertFalse(result["ids"])
        self.assertEqual(self._count(), 0)
        message = result["messages"][0]["message"]
        self.assertIn("No customer matches this row", message)
        self.assertIn("ghost@nowhere.example.com", message)

    def test_unknown_channel_code_is_reported_and_nothing_saved(self):
        rows = (
            "2026-03-14 10:30:00,oksana@kvitka.example.com,,,,phone,inbound,Good row\n"
            "2026-03-15 16:00:00,oksana@kvitka.example.com,,,,fax,inbound,Fax row\n"
        )
        result = self._import(rows)
        self.assertFalse(result["ids"])
        self.assertEqual(self._count(), 0)
        messages = [message["message"] for message in result["messages"]]
        self.assertTrue(any("'fax'" in message for message in messages), messages)

    def test_impossible_date_is_reported_and_nothing_saved(self):
        rows = (
            "2026-03-14 10:30:00,oksana@kvitka.example.com,,,,phone,inbound,Good row\n"
            "31/02/2026 25h,oksana@kvitka.example.com,,,,phone,inbound,Bad date\n"
        )
        result = self._import(rows)
        self.assertFalse(result.get("ids"))
        self.assertEqual(self._count(), 0)
        self.assertTrue(result["messages"])
        self.assertIn("31/02/2026 25h", str(result["messages"][0]))

    def test_missing_customer_gives_clear_error(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.Interaction.create(
                {"partner_vat": "XX000", "channel_id": self.channel_phone.id, "subject": "?"}
            )

    def test_import_template_is_declared(self):
        templates = self.Interaction.get_import_templates()
        self.assertTrue(templates[0]["template"].endswith("crm_interaction_template.csv"))

    def test_shipped_template_imports_cleanly(self):
        """The template file maps to fields by its headers and its rows import."""
        self.env["res.partner"].create({"name": "Ana", "email": "ana@example.com"})
        with file_open("crm_unified/static/xls/crm_interaction_template.csv", "rb") as template:
            content = template.read()
        importer = self.env["base_import.import"].create(
            {
                "res_model": "crm.interaction",
                "file": content,
                "file_type": "text/csv",
                "file_name": "crm_interaction_template.csv",
            }
        )
        preview = importer.parse_preview(dict(OPTIONS))
        self.assertFalse(preview.get("error"), preview.get("error"))
        fields = [
            (preview["matches"].get(index) or [False])[0]
            for index in range(len(preview["headers"]))
        ]
        self.assertNotIn(False, fields, dict(zip(preview["headers"], fields, strict=True)))
        with mute_logger("odoo.addons.base_import.models.base_import"):
            result = importer.execute_import(fields, preview["headers"], dict(OPTIONS))
        self.assertFalse(result["messages"])
        self.assertEqual(len(result["ids"]), 4)
        self.assertEqual(
            self.Interaction.browse(result["ids"]).mapped("channel_id.code"),
            ["phone", "visit", "letter", "email"],
        )
