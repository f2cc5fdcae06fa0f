from datetime import datetime

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .crm_interaction_common import CrmInteractionCommon

# Fields a captured interaction must hold exactly as the ORM's create would store them.
COMPARED_FIELDS = [
    "partner_id",
    "commercial_partner_id",
    "date",
    "channel_id",
    "direction",
    "department_id",
    "user_id",
    "subject",
    "summary",
    "res_model",
    "res_id",
    "source",
    "capture_event",
    "company_id",
    "weekday",
    "hour",
    "confidential",
]


@tagged("post_install", "-at_install")
class TestCrmInteractionCaptureInsert(CrmInteractionCommon):
    """Captured interactions are written with one INSERT; they must equal what create() stores."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact.tz = "Asia/Tokyo"  # UTC+9: the local weekday and hour differ from UTC
        cls.order = cls._create_order(cls)

    def _values(self, partner, subject, **extra):
        return {
            "partner_id": partner.id,
            "channel_id": self.channel_email.id,
            "subject": subject,
            "date": datetime(2026, 11, 29, 20, 30),  # Sunday 20:30 UTC = Monday 05:30 in Tokyo
            "res_model": "sale.order",
            "res_id": self.order.id,
            "source": "automatic",
            "capture_event": "bench_event",
            "summary": "<p>Hello</p><script>alert(1)</script>",
            **extra,
        }

    def test_captured_rows_equal_what_create_stores(self):
        by_orm = self.Interaction.create([self._values(self.contact, "By create")])
        captured = self.Interaction._log_interactions([self._values(self.contact, "Captured")])
        self.assertEqual(len(captured), 1)
        self.env.invalidate_all()
        expected = by_orm.read(COMPARED_FIELDS)[0]
        got = captured.read(COMPARED_FIELDS)[0]
        expected["subject"] = "Captured"
        self.assertEqual(got, {**expected, "id": captured.id})
        self.assertEqual((got["weekday"], got["hour"]), ("0", "05"), "Monday 05h in Tokyo")
        self.assertEqual(got["commercial_partner_id"][0], self.customer.id)
        self.assertNotIn("script", got["summary"], "HTML is sanitised as create() does")

    def test_defaults_fill_what_the_hook_does_not_give(self):
        captured = self.Interaction.with_user(self.colleague)._log_interactions(
            [{"partner_id": self.customer.id, "channel_id": self.channel_phone.id, "subject": "Hi"}]
        )
        captured = captured.sudo()
        self.assertEqual(captured.user_id, self.colleague)
        self.assertEqual(captured.company_id, self.env.company)
        self.assertEqual(captured.direction, "outbound")
        self.assertEqual(captured.source, "manual")
        self.assertTrue(captured.date)
        self.assertIn(captured.weekday, [str(day) for day in range(7)])

    def test_records_come_back_in_the_order_of_the_values(self):
        subjects = [f"Event {i}" for i in range(30)]
        # Distinct document events: rows of one event would be one interaction (capture_key).
        captured = self.Interaction._log_interactions(
            [
                self._values(self.customer, subject, capture_key=f"order-test-{i}")
                for i, subject in enumerate(subjects)
            ]
        )
        self.assertEqual(captured.mapped("subject"), subjects)

    def test_capture_marks_the_profile_dirty_and_feeds_the_timeline(self):
        self.customer.crm_profile_dirty = False
        self.env.flush_all()
        captured = self.Interaction._log_interactions([self._values(self.contact, "Dirty")])
        self.env.invalidate_all()
        self.assertTrue(self.customer.crm_profile_dirty)
        self.assertEqual(self.customer.latest_interaction_ids[:1], captured)

    def test_query_count_does_not_grow_with_the_batch(self):
        self.Interaction._log_interactions([self._values(self.customer, "Warm up")])
        counts = {}
        for size in (5, 500):
            values = [
                self._values(self.customer, f"Row {i}", capture_key=f"count-test-{size}-{i}")
                for i in range(size)
            ]
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            captured = self.Interaction._log_interactions(values)
            self.env.flush_all()
            counts[size] = self.env.cr.sql_log_count - before
            self.assertEqual(len(captured), size)
        self.assertEqual(counts[5], counts[500])

    def test_an_invalid_row_loses_the_batch_not_the_caller(self):
        with mute_logger("odoo.addons.crm_unified.models.crm_interaction", "odoo.sql_db"):
            logged = self.Interaction._log_interactions(
                [
                    self._values(self.customer, "Fine"),
                    self._values(self.customer, "Bad model", res_model="no.such.model"),
                ]
            )
        self.assertFalse(logged)
        self.assertFalse(self.Interaction.search([("subject", "in", ["Fine", "Bad model"])]))

    def test_values_the_insert_cannot_cover_go_through_create(self):
        values = self._values(self.customer, "With import key")
        values["partner_email"] = "orders@kvitka.example.com"
        self.assertFalse(self.Interaction._crm_can_insert_captured([values]))
        captured = self.Interaction._log_interactions([values])
        self.assertEqual(captured.partner_id, self.customer)

    def test_a_customer_of_another_company_is_refused_as_create_would(self):
        other = self.env["res.company"].create({"name": "Other Bakery Co"})
        foreign = self.env["res.partner"].create({"name": "Foreign", "company_id": other.id})
        values = self._values(foreign, "Wrong company", company_id=self.env.company.id)
        with self.assertRaises(ValidationError):
            self.Interaction._create_captured([values])
        with mute_logger("odoo.addons.crm_unified.models.crm_interaction"):
            self.assertFalse(self.Interaction._log_interactions([values]))
        shared = self._values(self.customer, "Shared customer", company_id=other.id)
        self.assertEqual(len(self.Interaction._log_interactions([shared])), 1)
