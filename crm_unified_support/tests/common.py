from freezegun import freeze_time

from odoo.tools import SQL

from odoo.addons.mail.tests.common import MailCommon, mail_new_test_user

INCOMING_EMAIL = """Return-Path: {return_path}
To: {to}
cc: {cc}
Received: by mail1.example.com (Postfix, from userid 10002)
    id 5DF9ABFB2A; Fri, 10 Aug 2012 16:16:39 +0200 (CEST)
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit
Date: Fri, 10 Aug 2012 14:16:26 +0000
Message-ID: {msg_id}
{extra}
Hello,

My order did not arrive. Can you help?

Regards
"""


class SupportCommon(MailCommon):
    """Queue on a Mon-Fri 09:00-17:00 UTC calendar, its stages, agents and customers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Support 9-17 UTC",
                "tz": "UTC",
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 9,
                            "hour_to": 17,
                            "day_period": "morning",
                        },
                    )
                    for day in range(5)
                ],
            }
        )
        Stage = cls.env["crm.support.stage"]
        cls.stage_new = Stage.create({"name": "T New", "sequence": 1})
        cls.stage_progress = Stage.create({"name": "T In Progress", "sequence": 2})
        cls.stage_waiting = Stage.create({"name": "T Waiting", "sequence": 3, "pause_sla": True})
        cls.stage_solved = Stage.create(
            {"name": "T Solved", "sequence": 4, "is_closed": True, "fold": True}
        )
        cls.stages = cls.stage_new | cls.stage_progress | cls.stage_waiting | cls.stage_solved

        cls.user_support = mail_new_test_user(
            cls.env,
            login="sup_agent",
            name="Agnes Agent",
            email="agnes.agent@test.example.com",
            groups="base.group_user,crm_unified_support.group_support_user",
            notification_type="email",
        )
        cls.user_support_2 = mail_new_test_user(
            cls.env,
            login="sup_agent2",
            name="Bruno Agent",
            email="bruno.agent@test.example.com",
            groups="base.group_user,crm_unified_support.group_support_user",
            notification_type="email",
        )
        cls.user_outsider = mail_new_test_user(
            cls.env,
            login="sup_outsider",
            name="Olga Outsider",
            email="olga.outsider@test.example.com",
            groups="base.group_user,crm_unified_support.group_support_user",
        )
        cls.user_support_manager = mail_new_test_user(
            cls.env,
            login="sup_manager",
            name="Mia Manager",
            email="mia.manager@test.example.com",
            groups="base.group_user,crm_unified_support.group_support_manager",
            notification_type="email",
        )
        cls.queue = cls.env["crm.support.queue"].create(
            {
                "name": "Test Care",
                "alias_name": "care.test",
                "resource_calendar_id": cls.calendar.id,
                "member_ids": [(6, 0, (cls.user_support | cls.user_support_2).ids)],
                "manager_id": cls.user_support_manager.id,
                "stage_ids": [(6, 0, cls.stages.ids)],
                "visibility": "portal",
                "reopen_grace_days": 7,
            }
        )
        cls.customer_company = cls.env["res.partner"].create(
            {"name": "Acme Customer", "is_company": True, "email": "info@acme.example.com"}
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Carla Customer",
                "email": "carla@acme.example.com",
                "parent_id": cls.customer_company.id,
            }
        )
        cls.customer_colleague = cls.env["res.partner"].create(
            {
                "name": "Colin Colleague",
                "email": "colin@acme.example.com",
                "parent_id": cls.customer_company.id,
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Otto Other", "email": "otto@other.example.com"}
        )
        cls.user_portal_carla = mail_new_test_user(
            cls.env,
            login="sup_portal_carla",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            email=cls.customer.email,
        )
        cls.user_portal_colin = mail_new_test_user(
            cls.env,
            login="sup_portal_colin",
            groups="base.group_portal",
            partner_id=cls.customer_colleague.id,
            email=cls.customer_colleague.email,
        )
        cls.user_portal_otto = mail_new_test_user(
            cls.env,
            login="sup_portal_otto",
            groups="base.group_portal",
            partner_id=cls.other_customer.id,
            email=cls.other_customer.email,
        )

    @classmethod
    def _create_ticket(cls, **values):
        vals = {"name": "Printer on fire", "queue_id": cls.queue.id, "partner_id": cls.customer.id}
        vals.update(values)
        return cls.env["crm.support.ticket"].create(vals)

    def _create_ticket_at(self, when, **values):
        """A ticket opened at ``when``: create_date is the transaction's start
        (freezegun does not reach the database clock), so it is set in SQL."""
        with freeze_time(when):
            ticket = self._create_ticket(**values)
        ticket.flush_recordset()
        self.env.cr.execute(
            SQL("UPDATE crm_support_ticket SET create_date = %s WHERE id = %s", when, ticket.id)
        )
        ticket.invalidate_recordset(["create_date"])
        return ticket

    def _run_cron_method(self, cron_xmlid, method, *args, **kwargs):
        """Run a cron's method as ir.cron does, with a progress record.

        :return: (done, remaining) as the method reported them
        """
        cron = self.env.ref(cron_xmlid)
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        model = self.env[cron.model_id.model].with_context(ir_cron_progress_id=progress.id)
        getattr(model, method)(*args, **kwargs)
        return progress.done, progress.remaining
