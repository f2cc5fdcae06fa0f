from datetime import timedelta

from odoo.tests import tagged

from .profile_common import NOW, ProfileCommon

# Figures a new interaction changes by addition (crm.interaction._crm_profile_add_interactions).
HISTORY_FIGURES = (
    "interaction_count_total",
    "last_interaction_date",
    "last_interaction_channel_id",
    "interaction_count_12m",
    "inbound_count_12m",
    "last_touch_date",
    "interaction_channel_counts",
    "contact_time_histogram",
    "interaction_month_counts",
)
CODES = ("email", "phone", "chat", "sms", "meeting")


@tagged("post_install", "-at_install")
class TestProfileHistory(ProfileCommon):
    """History figures of the profile (counts, last contact, heatmap, monthly trend)
    kept current as interactions are created, read by the partner form, the card
    and the charts in a number of queries that does not grow with the history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.big, cls.small, cls.other = cls._create_partners(
            ["History Whale", "History Minnow", "History Other"], is_company=True, tz="Asia/Tokyo"
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Whale Contact", "parent_id": cls.big.id, "company_id": cls.company.id}
        )
        cls._capture(cls.big, 2500, 0)
        cls._capture(cls.small, 50, 0)
        (cls.big | cls.small | cls.other)._crm_recompute_profile()
        # The second half arrives after the full recompute: counted incrementally.
        cls._capture(cls.big, 2500, 1)
        cls._capture(cls.contact, 20, 2)
        cls._capture(cls.small, 50, 1)

    @classmethod
    def _capture(cls, partner, count, seed):
        """`count` captured interactions over two years (one INSERT, as live capture)."""
        cls.env["crm.interaction"]._log_interactions(
            [
                {
                    "partner_id": partner.id,
                    "channel_id": cls.channel[CODES[(i + seed) % 5]].id,
                    "direction": ("inbound", "outbound", "internal")[(i * 7 + seed) % 3],
                    "kind": "event" if (i + seed) % 11 == 0 else "touch",
                    "subject": f"Captured {seed}-{i}",
                    "date": NOW - timedelta(hours=(i * 37 + seed * 5) % (2 * 365 * 24)),
                    "company_id": cls.company.id,
                    "source": "automatic",
                }
                for i in range(count)
            ]
        )

    def _figures(self, partner):
        profile = self.env["crm.partner.profile"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )
        return {fname: profile[fname] for fname in HISTORY_FIGURES}

    def test_incremental_history_equals_full_recompute(self):
        for partner in (self.big, self.small):
            with self.subTest(partner=partner.name):
                incremental = self._figures(partner)
                self.assertTrue(partner._crm_history_is_current())
                partner._crm_recompute_profile()
                self.assertEqual(incremental, self._figures(partner))
        self.assertEqual(self.big.interaction_count, 5020)
        self.assertEqual(self.contact.interaction_count, 5020)

    def test_logged_call_shows_at_once_on_card_charts_and_form(self):
        month = NOW.strftime("%Y-%m")
        phone = self.channel["phone"]
        before_charts = self.big.get_customer_charts()
        before_count = self.big.interaction_count
        self.env["crm.interaction.log"].create(
            {"partner_id": self.contact.id, "channel_id": phone.id, "subject": "Fresh call"}
        ).action_log()
        self.env.invalidate_all()
        self.assertEqual(self.big.interaction_count, before_count + 1)
        charts = self.big.get_customer_charts()
        phone_line = next(line for line in charts["trend"] if line["channel"] == phone.name)
        old_line = next(line for line in before_charts["trend"] if line["channel"] == phone.name)
        self.assertEqual(phone_line["counts"][-1], old_line["counts"][-1] + 1)
        self.assertEqual(phone_line["counts"][:-1], old_line["counts"][:-1])
        card = self.big.get_customer_card_data()
        self.assertEqual(card["last_contact"]["date"], "2026-06-15 12:00:00")
        self.assertEqual(card["last_contact"]["channel"], phone.name)
        self.assertIn(NOW.strftime("%b"), self.big.channel_trend_html)
        self.assertEqual(
            self.big.interaction_month_counts[f"{month}:{phone.id}"], phone_line["counts"][-1]
        )
        # Counted without recomputing the whole history: still queued for the
        # background job (preferred channel), history figures current.
        self.assertTrue(self.big.crm_profile_dirty)
        self.assertTrue(self.big._crm_history_is_current())

    def test_history_changed_outside_the_update_is_recomputed_by_the_card(self):
        self.big._crm_mark_profile_dirty()  # e.g. a merge moved history in SQL
        self.assertFalse(self.big._crm_history_is_current())
        self.env.invalidate_all()
        self.assertEqual(self.big.interaction_count, 5020, "counted from the history")
        self.big.get_customer_card_data()
        self.assertTrue(self.big._crm_history_is_current())
        self.assertFalse(self.big.crm_profile_dirty)

    def test_form_card_and_charts_queries_do_not_grow_with_history(self):
        fnames = [
            "interaction_count",
            "channel_trend_html",
            "contact_heatmap_html",
            "best_contact_time_display",
            "interaction_channel_summary",
            "latest_interaction_ids",
            "last_interaction_date",
            "rfm_display",
        ]
        spec = {fname: {} for fname in fnames}
        for partner in (self.small, self.big):
            # The state right after a call was logged: profile queued.
            self._log(partner, "phone", NOW - timedelta(minutes=5))

        def count(call):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            call()
            return self.cr.sql_log_count - before

        for name, call in (
            ("form", lambda partner: partner.web_read(spec)),
            ("card", lambda partner: partner.get_customer_card_data()),
            ("charts", lambda partner: partner.get_customer_charts()),
        ):
            with self.subTest(rpc=name):
                call(self.small)  # warm the registry caches
                small = count(lambda call=call: call(self.small))
                self.env.invalidate_all()
                with self.assertQueryCount(small):
                    call(self.big)
