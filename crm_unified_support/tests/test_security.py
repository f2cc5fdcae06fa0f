from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestSecurity(SupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.private_queue = cls.env["crm.support.queue"].create(
            {
                "name": "Private",
                "resource_calendar_id": cls.calendar.id,
                "stage_ids": [(6, 0, cls.stages.ids)],
                "member_ids": [(6, 0, cls.user_support.ids)],
                "visibility": "members",
            }
        )
        cls.ticket_carla = cls._create_ticket(name="Carla's ticket")
        cls.ticket_colin = cls._create_ticket(
            name="Colin's ticket", partner_id=cls.customer_colleague.id
        )
        cls.ticket_otto = cls._create_ticket(name="Otto's ticket", partner_id=cls.other_customer.id)
        cls.ticket_private = cls._create_ticket(
            name="Private ticket", queue_id=cls.private_queue.id
        )

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_support_user_sees_member_queues_only(self):
        Ticket = self.env["crm.support.ticket"]
        self.assertIn(self.ticket_private, Ticket.with_user(self.user_support).search([]))
        visible = Ticket.with_user(self.user_outsider).search([])
        self.assertNotIn(self.ticket_private, visible)
        self.assertIn(
            self.ticket_carla, visible, "Portal-visible queues are open to all support users"
        )
        with self.assertRaises(AccessError):
            self.ticket_private.with_user(self.user_outsider).read(["name"])
        self.assertIn(self.ticket_private, Ticket.with_user(self.user_support_manager).search([]))

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_portal_company_visibility(self):
        Ticket = self.env["crm.support.ticket"]
        as_colin = Ticket.with_user(self.user_portal_colin).search([])
        self.assertEqual(
            as_colin
            & (self.ticket_carla | self.ticket_colin | self.ticket_otto | self.ticket_private),
            self.ticket_carla | self.ticket_colin,
            "Company-wide access: Colin sees Carla's ticket, never Otto's",
        )
        self.queue.portal_company_visibility = False
        as_colin = Ticket.with_user(self.user_portal_colin).search([])
        self.assertIn(self.ticket_colin, as_colin)
        self.assertNotIn(self.ticket_carla, as_colin, "Without the setting: own tickets only")

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_portal_rpc_isolation(self):
        with self.assertRaises(AccessError):
            self.ticket_otto.with_user(self.user_portal_carla).read(["name"])
        with self.assertRaises(AccessError):
            self.ticket_carla.with_user(self.user_portal_carla).write({"name": "hacked"})
        with self.assertRaises(AccessError):
            self.env["crm.support.ticket"].with_user(self.user_portal_carla).create(
                {"name": "direct", "queue_id": self.queue.id}
            )
        with self.assertRaises(AccessError):
            self.ticket_otto.with_user(self.user_portal_carla).message_post(body="intrusion")
        # Own ticket: readable, and the customer may answer in its chatter.
        self.assertEqual(self.ticket_carla.with_user(self.user_portal_carla).name, "Carla's ticket")
        message = self.ticket_carla.with_user(self.user_portal_carla).message_post(
            body="thanks", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertEqual(message.author_id, self.customer)

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_internal_notes_never_reach_portal(self):
        self.ticket_carla.message_post(body="internal secret", subtype_xmlid="mail.mt_note")
        messages = (
            self.env["mail.message"]
            .with_user(self.user_portal_carla)
            .search([("model", "=", "crm.support.ticket"), ("res_id", "=", self.ticket_carla.id)])
        )
        self.assertFalse(any("internal secret" in (m.body or "") for m in messages))

    def test_multi_company(self):
        company_2 = self.env["res.company"].create({"name": "Support Co 2"})
        queue_2 = self.env["crm.support.queue"].create(
            {
                "name": "Co2 queue",
                "company_id": company_2.id,
                "resource_calendar_id": company_2.resource_calendar_id.id,
                "stage_ids": [(6, 0, self.stages.ids)],
            }
        )
        ticket_2 = self._create_ticket(name="co2", queue_id=queue_2.id)
        self.assertEqual(ticket_2.company_id, company_2)
        self.assertNotIn(
            ticket_2, self.env["crm.support.ticket"].with_user(self.user_support_manager).search([])
        )

    def test_only_managers_delete(self):
        with self.assertRaises(UserError):
            self.ticket_carla.with_user(self.user_support).unlink()
        self.ticket_otto.with_user(self.user_support_manager).unlink()
        self.assertFalse(self.ticket_otto.exists())

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_sla_lines_are_read_only_for_agents(self):
        self.env["crm.support.sla"].create(
            {"name": "S", "queue_id": self.queue.id, "resolution_hours": 2}
        )
        ticket = self._create_ticket().with_user(self.user_support)
        ticket.priority = "2"  # the agent's edits still manage SLA lines
        line = ticket.sla_status_ids
        self.assertEqual(len(line), 1)
        with self.assertRaises(AccessError):
            line.write({"state": "reached"})
        ticket.stage_id = self.stage_solved
        self.assertEqual(line.state, "reached")
