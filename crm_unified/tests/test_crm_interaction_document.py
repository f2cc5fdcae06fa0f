from odoo.tests import tagged

from .crm_interaction_common import CrmInteractionCommon


@tagged("post_install", "-at_install")
class TestCrmInteractionDocument(CrmInteractionCommon):
    def test_document_link_opens_the_source(self):
        lead = self.env["crm.lead"].create(
            {"name": "Ovens", "type": "opportunity", "partner_id": self.customer.id}
        )
        interaction = self._interactions(lead)
        self.assertEqual(interaction.document_ref, lead)
        self.assertEqual(
            interaction.document_model_name, self.env["ir.model"]._get("crm.lead").name
        )
        action = interaction.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("crm.lead", lead.id))
        self.assertEqual(lead.crm_interaction_count, 1)

    def test_deleting_the_document_keeps_the_history(self):
        lead = self.env["crm.lead"].create(
            {"name": "Ovens", "type": "opportunity", "partner_id": self.customer.id}
        )
        interaction = self._interactions(lead)
        lead.unlink()
        self.assertTrue(interaction.exists())
        self.assertEqual(interaction.res_model, "crm.lead")
        self.assertFalse(interaction.res_id)
        self.assertFalse(interaction.document_ref)
        self.assertFalse(interaction.action_open_document())

    def test_merge_keeps_all_interactions(self):
        duplicate = self.env["res.partner"].create(
            {"name": "Kvitka Bakery (old)", "is_company": True, "email": self.customer.email}
        )
        other_company = self.env["res.partner"].create({"name": "Other Co", "is_company": True})
        moved_contact = self.env["res.partner"].create(
            {"name": "Oksana M.", "parent_id": other_company.id}
        )
        interactions = self.Interaction.create(
            [
                {
                    "partner_id": duplicate.id,
                    "channel_id": self.channel_phone.id,
                    "subject": "Old call",
                },
                {
                    "partner_id": self.customer.id,
                    "channel_id": self.channel_email.id,
                    "subject": "Mail",
                },
                {
                    "partner_id": moved_contact.id,
                    "channel_id": self.channel_phone.id,
                    "subject": "Hi",
                },
            ]
        )
        call_on_duplicate = self.Interaction.create(
            {
                "partner_id": duplicate.id,
                "channel_id": self.channel_phone.id,
                "subject": "Call logged on the duplicate",
                "res_model": "res.partner",
                "res_id": duplicate.id,
            }
        )
        interactions |= call_on_duplicate
        (self.customer | duplicate)._crm_recompute_profile()
        self.assertFalse((self.customer | duplicate).filtered("crm_profile_dirty"))
        wizard = self.env["base.partner.merge.automatic.wizard"]
        wizard._merge((duplicate | self.customer).ids, self.customer)
        self.assertTrue(self.customer.crm_profile_dirty, "the merge queues a profile recompute")
        self.assertEqual(call_on_duplicate.document_ref, self.customer)
        self.assertFalse(duplicate.exists())
        self.assertEqual(interactions[:2].partner_id, self.customer)
        self.assertEqual(self.customer.interaction_count, 3)
        # A contact merged into a contact of another company follows its new company.
        wizard._merge((moved_contact | self.contact).ids, self.contact)
        self.assertEqual(interactions[2].partner_id, self.contact)
        self.assertEqual(interactions[2].commercial_partner_id, self.customer)
        self.assertEqual(self.customer.interaction_count, 4)
