from odoo.tests import tagged

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCrmPartnerDuplicate(CrmInteractionCommon):
    def test_duplicates_by_email_phone_and_vat_open_merge_wizard(self):
        self.ua = self.env.ref("base.ua")
        by_email = self.env["res.partner"].create(
            {"name": "Kvitka (web shop)", "email": "Orders@Kvitka.example.com"}
        )
        # A number without country code is read in the customer's country.
        by_phone = self.env["res.partner"].create(
            {"name": "Kvitka phone", "mobile": "044 1234567", "country_id": self.ua.id}
        )
        by_vat = self.env["res.partner"].create({"name": "Kvitka tax", "vat": "ua1234567890"})
        self.env.flush_all()
        Duplicate = self.env["crm.partner.duplicate"]
        for match_type, partner in (("email", by_email), ("phone", by_phone), ("vat", by_vat)):
            rows = Duplicate.search(
                [("match_type", "=", match_type), ("partner_id", "=", partner.id)]
            )
            self.assertEqual(len(rows), 1, match_type)
            group = Duplicate.search(
                [("match_type", "=", match_type), ("match_value", "=", rows.match_value)]
            )
            self.assertEqual(group.partner_id, partner | self.customer)
        action = rows.action_merge()
        wizard = self.env[action["res_model"]].with_context(**action["context"]).create({})
        self.assertEqual(wizard.partner_ids, by_vat | self.customer)
        self.assertEqual(wizard.state, "selection")
