from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import BaseCommon


@tagged("post_install", "-at_install")
class TestCrmInteraction(BaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Olena Customer", "is_company": True})
        cls.contact = cls.env["res.partner"].create(
            {"name": "Taras Contact", "parent_id": cls.customer.id}
        )
        cls.phone = cls.env.ref("crm_unified.interaction_channel_phone")

    def test_company_timeline_counts_its_contacts(self):
        self.env["crm.interaction"].create(
            [
                {"partner_id": self.contact.id, "channel_id": self.phone.id, "subject": "Call 1"},
                {"partner_id": self.customer.id, "channel_id": self.phone.id, "subject": "Call 2"},
            ]
        )
        self.assertEqual(self.customer.interaction_count, 2)
        self.assertEqual(self.contact.interaction_count, 2)

    def test_log_interactions_never_raises(self):
        with mute_logger("odoo.addons.crm_unified.models.crm_interaction", "odoo.sql_db"):
            logged = self.env["crm.interaction"]._log_interactions(
                [{"partner_id": self.customer.id, "subject": "No channel given"}]
            )
        self.assertFalse(logged, "an invalid capture must be dropped, not raised")
        self.assertEqual(self.customer.interaction_count, 0)
