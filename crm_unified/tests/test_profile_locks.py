import psycopg2

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestProfileLockOrder(TransactionCase):
    """Issue 11: a user request and the profile cron, in two real transactions,
    never deadlock: every profile writer locks the customer row before its
    profile rows, the cron skips customers a request holds and the card does
    not wait for a customer the cron is recomputing."""

    def setUp(self):
        super().setUp()
        # A queued customer company, committed so that two other transactions see it.
        with self.registry.cursor() as setup_cr:
            setup_cr.execute(
                "SELECT id, crm_profile_dirty FROM res_partner p "
                "WHERE is_company AND active AND id = commercial_partner_id "
                "AND EXISTS (SELECT 1 FROM crm_partner_profile pp WHERE pp.partner_id = p.id) "
                "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
            self.partner_id, self.was_dirty = setup_cr.fetchone()
            setup_cr.execute(
                "UPDATE res_partner SET crm_profile_dirty = TRUE WHERE id = %s", [self.partner_id]
            )
            setup_cr.commit()

    def tearDown(self):
        with self.registry.cursor() as restore_cr:
            restore_cr.execute(
                "UPDATE res_partner SET crm_profile_dirty = %s WHERE id = %s",
                [self.was_dirty, self.partner_id],
            )
            restore_cr.commit()
        super().tearDown()

    def test_card_does_not_wait_for_the_cron_recomputing_the_customer(self):
        with self.registry.cursor() as cron_cr, self.registry.cursor() as request_cr:
            cron_env = self.env(cr=cron_cr)
            request_env = self.env(cr=request_cr)
            # The cron claims the customer and writes its profile rows (not committed yet).
            cron_cr.execute(
                "SELECT id FROM res_partner WHERE id = %s FOR UPDATE SKIP LOCKED",
                [self.partner_id],
            )
            self.assertTrue(cron_cr.fetchall())
            cron_env["res.partner"].browse(self.partner_id)._crm_recompute_profile(rfm=False)
            # The card in a request: it must neither wait for the cron's rows nor fail.
            request_cr.execute("SET LOCAL lock_timeout = '300ms'")
            data = request_env["res.partner"].browse(self.partner_id).get_customer_card_data()
            self.assertTrue(data)
            request_cr.rollback()
            cron_cr.rollback()

    def test_cron_skips_the_customer_a_request_is_logging_a_call_for(self):
        with self.registry.cursor() as request_cr, self.registry.cursor() as cron_cr:
            request_env = self.env(cr=request_cr)
            cron_env = self.env(cr=cron_cr)
            # The timeline composer logs a call (not committed yet): the customer's
            # profile rows now carry the new call.
            partner = request_env["res.partner"].browse(self.partner_id)
            partner.crm_timeline_log("call", "Asked for a quote")
            request_env.flush_all()
            # The cron runs meanwhile: it must not block on the request's rows.
            cron_cr.execute("SET LOCAL lock_timeout = '300ms'")
            Partner = cron_env["res.partner"].with_context(active_test=False)
            batch = Partner._crm_claim_profile_batch(1000)
            self.assertNotIn(self.partner_id, batch.ids, "the customer held by the request")
            batch._crm_recompute_profile(rfm=False)
            cron_cr.rollback()
            request_cr.rollback()

    @mute_logger("odoo.sql_db")
    def test_request_waiting_for_the_cron_raises_a_retryable_error(self):
        """A call logged while the cron holds the customer fails with an error
        Odoo retries (the request is replayed), never swallowed by the capture
        code into a broken transaction."""
        with self.registry.cursor() as cron_cr, self.registry.cursor() as request_cr:
            cron_cr.execute(
                "SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [self.partner_id]
            )
            request_env = self.env(cr=request_cr)
            request_cr.execute("SET LOCAL lock_timeout = '200ms'")
            with self.assertRaises(psycopg2.errors.LockNotAvailable):
                request_env["crm.interaction"]._log_interactions(
                    [
                        {
                            "partner_id": self.partner_id,
                            "channel_id": request_env.ref(
                                "crm_unified.interaction_channel_phone"
                            ).id,
                            "direction": "outbound",
                            "subject": "Captured call",
                            "date": "2026-01-05 10:00:00",
                        }
                    ]
                )
            request_cr.rollback()
            cron_cr.rollback()

    @mute_logger("odoo.sql_db")
    def test_recompute_waiting_for_the_cron_raises_its_own_error(self):
        """A recompute that cannot lock its customer raises the lock error itself
        (retried by Odoo), not InFailedSqlTransaction from a query run after it."""
        with self.registry.cursor() as cron_cr, self.registry.cursor() as request_cr:
            cron_cr.execute(
                "SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [self.partner_id]
            )
            request_env = self.env(cr=request_cr)
            request_cr.execute("SET LOCAL lock_timeout = '200ms'")
            partner = request_env["res.partner"].browse(self.partner_id)
            with self.assertRaises(psycopg2.errors.LockNotAvailable):
                partner._crm_recompute_profile(rfm=False)
            request_cr.rollback()
            cron_cr.rollback()
