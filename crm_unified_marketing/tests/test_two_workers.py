from datetime import timedelta

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api, fields
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestTwoWorkers(TransactionCase):
    """Two real database connections, as two cron workers: committed data, row locks.

    The records are committed (another connection cannot see the test transaction)
    and removed at the end: the commits below are the test's, on its own cursors.
    """

    def setUp(self):
        super().setUp()
        self.ids = {}
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            # other active campaigns (demo data) stay out of the cron runs; restored after
            active = env["crm.campaign"].search([("state", "=", "active")])
            active.action_pause()
            partners = env["res.partner"].create(
                [
                    {
                        "name": f"Two workers {i}",
                        "email": f"two{i}@example.com",
                        "phone": f"+32 456 00 33 {i:02d}",
                    }
                    for i in range(6)
                ]
            )
            segment = env["crm.segment"].create(
                {
                    "name": "Two workers",
                    "segment_type": "static",
                    "partner_ids": [Command.set(partners.ids)],
                }
            )
            today = fields.Date.today()
            campaign = env["crm.campaign"].create(
                {
                    "name": "Two workers",
                    "date_start": today,
                    "date_end": today + timedelta(days=30),
                }
            )
            phone = env["crm.interaction.channel"]._get_by_code("phone")
            env["crm.campaign.rule"].create(
                {
                    "campaign_id": campaign.id,
                    "name": "Call them",
                    "segment_ids": [Command.set(segment.ids)],
                    "channel_line_ids": [Command.create({"channel_id": phone.id})],
                }
            )
            campaign.action_activate()
            self.ids = {
                "partners": partners.ids,
                "segment": segment.id,
                "campaign": campaign.id,
                "utm": campaign.utm_campaign_id.id,
                "paused": active.ids,
            }
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._remove_committed_records)

    def _remove_committed_records(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "in", self.ids["partners"])]
            ).unlink()
            env["crm.campaign"].browse(self.ids["campaign"]).unlink()
            env["utm.campaign"].browse(self.ids["utm"]).unlink()
            env["crm.segment"].browse(self.ids["segment"]).unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()
            env["crm.campaign"].browse(self.ids["paused"]).write({"state": "active"})
            cr.commit()  # pylint: disable=invalid-commit

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def test_two_planners_never_plan_a_campaign_twice(self):
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            campaign_a = self._env(cr_a)["crm.campaign"].browse(self.ids["campaign"])
            self.assertTrue(campaign_a._lock_for_planning(), "worker A takes the campaign")
            # worker B meets the lock and moves on without planning it
            done_b = self._env(cr_b)["crm.campaign"]._cron_plan_deliveries(batch_size=100)
            self.assertEqual(done_b, 0)
            cr_b.commit()  # pylint: disable=invalid-commit
            done_a = self._env(cr_a)["crm.campaign"]._cron_plan_deliveries(batch_size=100)
            self.assertEqual(done_a, 6)
            cr_a.commit()  # pylint: disable=invalid-commit
        with self.registry.cursor() as cr:
            deliveries = self._env(cr)["crm.campaign.delivery"].search(
                [("campaign_id", "=", self.ids["campaign"])]
            )
            self.assertEqual(len(deliveries), 6)
            self.assertEqual(len(deliveries.partner_id), 6)

    def test_two_dispatchers_never_send_a_delivery_twice(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            campaign = env["crm.campaign"].browse(self.ids["campaign"])
            env["crm.campaign.planner"]._plan_campaigns(campaign)
            campaign.delivery_ids.scheduled_date = fields.Datetime.now() - timedelta(hours=1)
            cr.commit()  # pylint: disable=invalid-commit
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            Delivery_a = self._env(cr_a)["crm.campaign.delivery"]
            Delivery_b = self._env(cr_b)["crm.campaign.delivery"]
            # B takes its snapshot, then A claims and sends three while B works
            todo_b = Delivery_b.search([("campaign_id", "=", self.ids["campaign"])])
            self.assertEqual(len(todo_b), 6)
            sent_a = Delivery_a._cron_dispatch(batch_size=3)
            self.assertEqual(len(sent_a), 3)
            # B's claim skips the rows A holds and takes the other three
            sent_b = Delivery_b._cron_dispatch(batch_size=6)
            self.assertEqual(len(sent_b), 3)
            self.assertFalse(set(sent_a.ids) & set(sent_b.ids))
            cr_a.commit()  # pylint: disable=invalid-commit
            cr_b.commit()  # pylint: disable=invalid-commit
        # a late third worker with a stale snapshot cannot send them again either
        with self.registry.cursor() as cr_c:
            stale = self._env(cr_c)["crm.campaign.delivery"].search(
                [("campaign_id", "=", self.ids["campaign"])]
            )
            self.assertEqual(set(stale.mapped("state")), {"sent"})
            self.assertFalse(stale._dispatch())
        with self.registry.cursor() as cr:
            activities = self._env(cr)["mail.activity"].search(
                [("crm_campaign_delivery_id.campaign_id", "=", self.ids["campaign"])]
            )
            self.assertEqual(len(activities), 6, "one call task per delivery")
            self.assertEqual(len(activities.crm_campaign_delivery_id), 6)

    def test_stale_worker_is_stopped_by_the_database(self):
        """A worker whose snapshot predates another's commit cannot claim the rows."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            campaign = env["crm.campaign"].browse(self.ids["campaign"])
            env["crm.campaign.planner"]._plan_campaigns(campaign)
            campaign.delivery_ids.scheduled_date = fields.Datetime.now() - timedelta(hours=1)
            cr.commit()  # pylint: disable=invalid-commit
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            stale = self._env(cr_b)["crm.campaign.delivery"].search(
                [("campaign_id", "=", self.ids["campaign"])]
            )
            stale.mapped("state")  # B's snapshot: all planned
            self._env(cr_a)["crm.campaign.delivery"]._cron_dispatch(batch_size=6)
            cr_a.commit()  # pylint: disable=invalid-commit
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                stale._dispatch()
            cr_b.rollback()
        with self.registry.cursor() as cr:
            activities = self._env(cr)["mail.activity"].search(
                [("crm_campaign_delivery_id.campaign_id", "=", self.ids["campaign"])]
            )
            self.assertEqual(len(activities), 6)
