from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.mass_mailing.models.mailing import MassMailing

from .common import NOW, CampaignCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestDispatchBatch(CampaignCommon):
    """Dispatch works set-wise: its cost does not grow per email beyond mass_mailing's
    own, and what it changed for that (seen list, grouped writes) keeps stock results."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Delivery = cls.env["crm.campaign.delivery"]
        # mass_mailing sends at once up to this many recipients (default 100): here
        # every email is queued, as for any campaign of more than 100 customers.
        cls.env["ir.config_parameter"].set_param("mail.mail.force.send.limit", 0)
        cls.rule.channel_line_ids = [
            Command.clear(),
            Command.create({"channel_id": cls.ch_email.id, "cost": 1.0}),
        ]

    def _plan_due(self):
        deliveries = self._plan().filtered(lambda d: d.state == "planned")
        deliveries.scheduled_date = "2026-12-07 04:00:00"
        return deliveries

    def _add_customers(self, count, email=None):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Batch {i}", "email": email or f"batch{i}@example.com", "tz": "UTC"}
                for i in range(count)
            ]
        )
        self.segment.partner_ids = [Command.link(p.id) for p in partners]
        return partners

    def _dispatch_queries(self, extra):
        """Queries of one dispatch call sending 4 + ``extra`` emails (rolled back)."""
        with self.env.cr.savepoint(flush=False) as savepoint:
            self._add_customers(extra)
            deliveries = self._plan_due()
            self.assertEqual(len(deliveries), 4 + extra)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            # Dispatch only queues the emails (mail.mail): nothing is sent here.
            sent = self.Delivery._cron_dispatch()
            self.env.flush_all()
            queries = self.env.cr.sql_log_count - before
            self.assertEqual(len(sent), 4 + extra)
            self.assertEqual(set(deliveries.mapped("state")), {"sent"})
            interactions = self.env["crm.interaction"].search_count(
                [("res_model", "=", self.Delivery._name), ("res_id", "in", deliveries.ids)]
            )
            self.assertEqual(interactions, 4 + extra, "one 'sent' interaction per email")
            savepoint.rollback()
        self.env.invalidate_all()
        return queries

    def test_queries_do_not_grow_with_the_emails_of_a_batch(self):
        """4 or 30 emails in one call (one mass_mailing batch): the same queries."""
        self._dispatch_queries(0)  # warm-up: registry caches, compiled templates
        small = self._dispatch_queries(0)
        large = self._dispatch_queries(26)
        self.assertEqual(large, small)

    def test_seen_list_is_stock_result_and_cancels_a_second_email_to_one_address(self):
        """A second customer with the same address, sent in a later call, is cancelled
        as a duplicate, as stock mass_mailing does; the seen list read from the traces
        equals mass_mailing's generic query."""
        twin = self._add_customers(1, email=self.partners[0].email)
        deliveries = self._plan_due()
        self.assertEqual(len(deliveries), 5)
        with self.mock_mail_gateway():
            while self.Delivery._cron_dispatch(batch_size=1):
                pass
        twin_delivery = deliveries.filtered(lambda d: d.partner_id == twin)
        first = deliveries.filtered(lambda d: d.partner_id == self.partners[0])
        self.assertEqual(first.state, "sent")
        self.assertEqual(twin_delivery.state, "cancelled")
        self.assertEqual(twin_delivery.mailing_trace_id.failure_type, "mail_dup")
        self.assertEqual(len(deliveries.filtered(lambda d: d.state == "sent")), 4)
        mailing = deliveries.mailing_id
        self.assertEqual(len(mailing), 1)
        seen = mailing._get_seen_list()
        self.assertEqual(seen, MassMailing._get_seen_list(mailing))
        self.assertEqual(len(seen), 4)

    def test_each_outcome_of_one_batch_is_written_with_its_link(self):
        """Sent, failed for a missing address and failed for an invalid one, in one
        call: each delivery gets its own state, reason, mailing and trace."""
        deliveries = self._plan_due()
        self.assertEqual(len(deliveries), 4)
        self.partners[1].email = False
        self.partners[2].email = "not an address"
        with self.mock_mail_gateway():
            self.Delivery._cron_dispatch()
        by_partner = {d.partner_id: d for d in deliveries}
        expected = [
            ("sent", False),
            ("failed", "mail_email_missing"),
            ("failed", "mail_email_invalid"),
            ("sent", False),
        ]
        for partner, (state, failure) in zip(self.partners, expected, strict=True):
            delivery = by_partner[partner]
            with self.subTest(partner=partner.name):
                trace = self.env["mailing.trace"].search(
                    [("model", "=", self.Delivery._name), ("res_id", "=", delivery.id)]
                )
                self.assertEqual(len(trace), 1)
                self.assertEqual(delivery.state, state)
                self.assertEqual(trace.failure_type or False, failure)
                self.assertEqual(delivery.mailing_trace_id, trace)
                self.assertEqual(delivery.mailing_id, trace.mass_mailing_id)
                self.assertEqual(bool(delivery.sent_date), state == "sent")
                self.assertEqual(bool(delivery.failure_reason), state != "sent")
