from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import NOW, CampaignCommon

FIELDS = ["plan_explanation", "failure_reason_display"]


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestExplainTampered(CampaignCommon):
    """Explanation and reason parameters are plain JSON a user can write through RPC:
    a row whose parameters do not fit shows its stored text, the other rows of the
    same read are still put into words, and no Python or SQL text reaches the reader."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.campaign"].browse(cls.campaign.id).action_activate()
        cls.env["crm.campaign.planner"]._plan_campaigns(cls.campaign)
        cls.deliveries = cls.env["crm.campaign.delivery"].search(
            [("campaign_id", "=", cls.campaign.id)], order="id"
        )

    def _read_as_marketer(self):
        deliveries = self.deliveries.with_user(self.user_marketing)
        rows = deliveries.search_read([("id", "in", self.deliveries.ids)], FIELDS, order="id")
        return {row["id"]: row for row in rows}

    def _assert_clean(self, rows):
        for row in rows.values():
            for value in (row["plan_explanation"], row["failure_reason_display"]):
                self.assertNotIn("{'", value or "")
                self.assertNotIn("<script>", value or "")
                self.assertNotIn("Traceback", value or "")

    def test_tampered_explanation_falls_back_to_stored_text_row_by_row(self):
        bad, others = self.deliveries[0], self.deliveries[1:]
        expected = {row["id"]: row for row in self._read_as_marketer().values()}
        self.assertIn("rule 'Desk offer'", expected[others[0].id]["plan_explanation"])
        channel = {"code": "channel_preferred", "channel_id": self.ch_email.id}
        time = {"code": "time_best_slot", "when": "2026-12-08 08:00:00", "tz": "Europe/Kyiv"}
        tampered = [
            [{"code": "channel_x", "channel_id": {"a": 1}}],
            [dict(channel, channel_id={"a": 1})],
            [dict(channel, channel_id=[1, 2])],
            [dict(channel, channel_id="abc")],
            [dict(channel, channel_id=2**40)],
            [dict(channel, channel_id=True)],
            [dict(channel, code="channel_preferred_not_allowed", preferred_id=None)],
            [dict(channel, code="channel_preferred_unusable", preferred_id=1, why={"x": 1})],
            [dict(time, when="tomorrow")],
            [dict(time, when=["2026-12-08 08:00:00"])],
            [dict(time, tz={"x": "y"})],
            [dict(time, tz="Mars/Olympus")],
            [dict(time, postponed_by=["campaign"])],
            [{"code": "rule_only", "rule": {"x": "y"}, "priority": 1}],
            [{"code": "rule_beat", "rule": "A", "priority": 1, "others": [{"rule": 1}]}],
            [{"code": "rule_tie", "rule": "A", "priority": "1", "others": ["B"]}],
            [{"code": "rule_tie", "rule": "A", "priority": 1, "others": "B"}],
            [{"code": "skipped", "reason": "rule_cap", "count": {"x": "y"}, "days": 7}],
            [{"code": "skipped", "reason": "invalid_phone", "number": {"x": "y"}}],
            [{"code": "skipped", "reason": ["no_slot"]}],
            [{"code": ["skipped"]}],
            ["<script>x</script>"],
            {"code": "skipped", "reason": "no_slot"},
            "abc",
            42,
        ]
        for params in tampered:
            with self.subTest(params=params):
                bad.write(
                    {"plan_explanation_params": params, "plan_explanation_text": "As written"}
                )
                rows = self._read_as_marketer()
                self.assertEqual(rows[bad.id]["plan_explanation"], "As written")
                for delivery in others:
                    self.assertEqual(rows[delivery.id], expected[delivery.id])
                self._assert_clean(rows)

    def test_well_formed_parameters_are_still_put_into_words(self):
        delivery = self.deliveries[0]
        delivery.write(
            {
                "plan_explanation_params": [
                    {"code": "channel_preferred", "channel_id": self.ch_sms.id},
                    {
                        "code": "time_first_hour",
                        "when": "2026-12-08 08:00:00",
                        "tz": "Europe/Kyiv",
                        "postponed_by": "campaign",
                    },
                    {"code": "rule_tie", "rule": "A", "priority": 1, "others": ["B"]},
                    {"code": "skipped", "reason": "rule_cap", "count": 2, "days": 7},
                ],
                "plan_explanation_text": "As written",
                "state": "skipped",
            }
        )
        text = self._read_as_marketer()[delivery.id]["plan_explanation"]
        self.assertIn(f"Preferred channel {self.ch_sms.name}", text)
        self.assertIn(
            "Europe/Kyiv (the default slot is not allowed), postponed by the campaign cap", text
        )
        self.assertIn("rule 'A' won the tie at priority 1 over 'B'", text)
        self.assertIn("messages at most: 2, rolling period in days: 7", text)

    def test_tampered_failure_reason_falls_back_to_stored_text_row_by_row(self):
        bad, good = self.deliveries[0], self.deliveries[1]
        Delivery = self.env["crm.campaign.delivery"]
        good.write({"state": "failed", **Delivery._failure_values("invalid_phone", number="+1 2")})
        tampered = [
            {"code": "invalid_phone", "number": {"x": "y"}},
            {"code": "invalid_phone", "number": ["+1"]},
            {"code": "render_failed", "part": "<script>x</script>"},
            {"code": "render_failed", "part": {"x": "y"}},
            {"code": "trace_failure", "failure_type": "<script>x</script>"},
            {"code": "trace_failure", "failure_type": ["x"]},
            {"code": "channel_cannot_send", "channel": {"x": "y"}},
            {"code": "merged", "partner": "A", "kept": "B", "delivery": "1", "state": "planned"},
            {"code": "merged", "partner": "A", "kept": "B", "delivery": 1, "state": {"x": 1}},
            {"code": {"x": "y"}},
            {"code": "unknown"},
            ["invalid_phone"],
            "abc",
        ]
        for params in tampered:
            with self.subTest(params=params):
                bad.write(
                    {"state": "failed", "failure_params": params, "failure_reason": "As written"}
                )
                rows = self._read_as_marketer()
                self.assertEqual(rows[bad.id]["failure_reason_display"], "As written")
                self.assertEqual(
                    rows[good.id]["failure_reason_display"], "Invalid phone number +1 2"
                )
                self._assert_clean(rows)
        # known values still read in words; the display fields are text, escaped by the client
        bad.write({"failure_params": {"code": "render_failed", "part": "sms_body"}})
        self.assertIn("SMS text could not be rendered", bad.failure_reason_display)
        for name in FIELDS:
            self.assertIn(Delivery._fields[name].type, ("char", "text"))

    def test_user_cannot_write_parameters_that_do_not_fit(self):
        delivery = self.deliveries[0].with_user(self.user_marketing)
        with self.assertRaises(ValidationError):
            delivery.write({"plan_explanation_params": [{"code": "channel_x", "channel_id": {}}]})
        with self.assertRaises(ValidationError):
            delivery.write({"failure_params": {"code": "invalid_phone", "number": {"x": "y"}}})
        self.assertTrue(delivery.plan_explanation_params)
        self.assertFalse(delivery.failure_params)
        # the user's own actions still record their reason as parameters
        delivery.action_cancel()
        self.assertEqual(delivery.failure_params, {"code": "cancelled_by_hand"})
        self.assertEqual(delivery.failure_reason_display, "Cancelled by hand.")
