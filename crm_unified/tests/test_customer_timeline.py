import json
from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .profile_common import NOW, ProfileCommon


@tagged("post_install", "-at_install")
class TestCustomerTimeline(ProfileCommon):
    """res.partner.get_customer_timeline / crm_timeline_log / get_customer_charts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_partners(["Feed Bakery"], is_company=True)
        cls.contact = cls.env["res.partner"].create(
            {"name": "Feed Baker", "parent_id": cls.customer.id, "company_id": cls.company.id}
        )
        cls.sales = cls.env.ref("crm_unified.interaction_department_sales")
        cls.support = cls.env.ref("crm_unified.interaction_department_support")
        cls.order = cls._confirm_orders([(cls.customer, 40, 1880.0)])
        cls.calls = cls.env["crm.interaction"]
        for day in range(25):
            cls.calls |= cls._log(
                cls.contact,
                "phone",
                NOW - timedelta(days=day, hours=1),
                department_id=cls.support.id,
                summary="<p>Asked about <b>flour</b></p>",
            )
        cls.email = cls._log(cls.customer, "email", NOW - timedelta(days=100))

    def _rows(self, partner=None, **filters):
        result = (partner or self.customer).get_customer_timeline(filters, limit=200)
        return result["rows"]

    def test_feed_is_newest_first_across_contacts_with_names(self):
        result = self.customer.get_customer_timeline({})
        self.assertEqual(len(result["rows"]), 20)
        self.assertTrue(result["has_more"])
        dates = [row["date"] for row in result["rows"]]
        self.assertEqual(dates, sorted(dates, reverse=True))
        first = next(row for row in result["rows"] if not row["is_event"])
        self.assertEqual(first["partner"]["name"], "Feed Baker")
        self.assertEqual(first["channel"]["icon"], "fa-phone")
        self.assertEqual(first["department"]["code"], "support")
        self.assertEqual(first["summary"], "Asked about *flour*")
        self.assertIn("departments", result)
        second_page = self.customer.get_customer_timeline({}, offset=20)
        self.assertFalse(second_page["has_more"])
        self.assertNotIn("departments", second_page)
        # 25 calls + 1 email + the captured order confirmation
        self.assertEqual(len(result["rows"]) + len(second_page["rows"]), 27)

    def test_contact_scope_shows_only_this_contact(self):
        rows = self._rows(self.contact, scope="contact")
        self.assertEqual({row["id"] for row in rows}, set(self.calls.ids))
        rows = self._rows(self.contact, scope="company")
        self.assertIn(self.email.id, {row["id"] for row in rows})

    def test_filters_department_channel_period_and_kind(self):
        by_department = self._rows(department_id=self.support.id)
        self.assertEqual({row["id"] for row in by_department}, set(self.calls.ids))
        by_channel = self._rows(channel_id=self.channel["email"].id)
        self.assertEqual([row["id"] for row in by_channel], self.email.ids)
        last_week = self._rows(period=7, kind="touch")
        self.assertEqual(len(last_week), 7)
        events = self._rows(kind="event")
        self.assertEqual(len(events), 1)
        self.assertTrue(events[0]["is_event"])
        self.assertEqual(events[0]["document"]["model"], "sale.order")
        self.assertEqual(events[0]["document"]["id"], self.order.id)
        touches = self._rows(kind="touch")
        self.assertEqual(len(touches), 26)
        self.assertFalse(any(row["is_event"] for row in touches))
        with self.assertRaises(ValidationError):
            self.customer.get_customer_timeline({"channel_id": "email"})

    def test_bad_page_numbers_are_a_validation_error(self):
        """offset/limit come from RPC: words, negative offsets (PostgreSQL refuses
        them) and lists are refused with a clear message, not a server error."""
        for offset, limit in (("x", 20), (-5, 20), (0, "many"), ([1], 20), (0, [2])):
            with self.assertRaises(ValidationError, msg=f"{offset!r}, {limit!r}"):
                self.customer.get_customer_timeline({}, offset=offset, limit=limit)
        # Numbers given as text still work, a negative limit gives one row.
        self.assertEqual(
            len(self.customer.get_customer_timeline({}, offset="1", limit="-3")["rows"]), 1
        )

    def test_malformed_filters_are_a_validation_error(self):
        """filters come from RPC: anything but a dict of known keys with values of
        the right type and range is refused with the translated message, never
        an AttributeError or OverflowError."""
        bad = (
            [1, 2],
            "period=7",
            7,
            {"period": 10**12},
            {"period": -1},
            {"period": float("inf")},
            {"period": 7.5},
            {"period": [7]},
            {"period": True},
            {"channel_id": 2**40},
            {"channel_id": {"id": 1}},
            {"department_id": -3},
            {"scope": "everyone"},
            {"scope": ["contact"]},
            {"kind": "touches"},
            {"kind": {"a": 1}},
            {"colour": "red"},
        )
        for filters in bad:
            with self.assertRaisesRegex(
                ValidationError, "The timeline filter is not valid", msg=repr(filters)
            ):
                self.customer.get_customer_timeline(filters)
        # What the client sends by default, and the widest period allowed, work.
        default = {"scope": "company", "department_id": 0, "channel_id": 0, "kind": "", "period": 0}
        self.assertEqual(len(self._rows(**default)), 27)
        self.assertEqual(len(self._rows(period="36600")), 27)
        self.assertEqual(len(self.customer.get_customer_timeline(None, limit=200)["rows"]), 27)

    def test_timeline_rows_are_plain_json(self):
        self.email.department_id = False
        rows = self._rows()
        dumped = json.dumps(rows)
        self.assertNotIn("()", dumped)
        email_row = next(row for row in rows if row["id"] == self.email.id)
        self.assertIs(email_row["department"], False)

    def test_order_amount_is_money_not_a_float(self):
        event = self._rows(kind="event")[0]
        self.assertNotIn("1880.0", event["outcome"])
        self.assertIn("1,880.00", event["outcome"])

    def test_page_query_count_does_not_grow_with_history_or_offset(self):
        def count_queries(partner, **kwargs):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            partner.get_customer_timeline({}, **kwargs)
            return self.cr.sql_log_count - before

        newcomer = self._create_partners(["Feed Kiosk"], is_company=True)
        self._log(newcomer, "phone", NOW - timedelta(days=1), department_id=self.sales.id)
        self._confirm_orders([(newcomer, 3, 10.0)])
        newcomer.get_customer_timeline({})  # warm the registry caches
        baseline = count_queries(newcomer)
        self.assertLessEqual(baseline, 15)
        self.env.invalidate_all()
        with self.assertQueryCount(baseline):
            self.customer.get_customer_timeline({})
        self.assertLessEqual(count_queries(self.customer, offset=20), baseline)

    def test_confidential_rows_stay_hidden(self):
        secret = self._log(
            self.customer,
            "meeting",
            NOW,
            department_id=self.sales.id,
            confidential=True,
            subject="Price negotiation",
        )
        outsider = new_test_user(
            self.env,
            login="feed_outsider",
            groups="crm_unified.group_user",
            company_id=self.company.id,
        )
        rows = self.customer.with_user(outsider).get_customer_timeline({}, limit=200)["rows"]
        self.assertNotIn(secret.id, {row["id"] for row in rows})
        self.assertIn(secret.id, {row["id"] for row in self._rows()})

    def test_composer_logs_in_the_department_of_the_user_or_document(self):
        """Issue 11: a call logged from the composer has a department."""
        agent = new_test_user(
            self.env, login="feed_agent", groups="base.group_user,crm_unified.group_user"
        )
        agent.crm_department_ids = self.support
        call_id = self.contact.with_user(agent).crm_timeline_log("call", "Asked for help")
        self.assertEqual(self.env["crm.interaction"].browse(call_id).department_id, self.support)
        Log = self.env["crm.interaction.log"]
        self.assertEqual(
            Log.with_context(default_res_model="account.move").new().department_id.code,
            "accounting",
        )
        self.assertEqual(Log.new().department_id, self.sales)

    def test_composer_logs_call_email_and_note(self):
        expected = {"call": ("phone", "outbound"), "email": ("email", "outbound")}
        expected["note"] = ("other", "internal")
        for entry_type, (code, direction) in expected.items():
            interaction_id = self.contact.crm_timeline_log(entry_type, f" {entry_type} ", "a\nb")
            interaction = self.env["crm.interaction"].browse(interaction_id)
            self.assertEqual(interaction.partner_id, self.contact)
            self.assertEqual(interaction.channel_id.code, code)
            self.assertEqual(interaction.direction, direction)
            self.assertEqual(interaction.subject, entry_type)
            self.assertIn("a<br>b", interaction.summary)
            self.assertEqual(interaction.department_id, self.sales, "logged on a customer: sales")
        call_id = self.contact.crm_timeline_log("call", "Spring order", "", " Will order 40 bags ")
        self.assertEqual(self.env["crm.interaction"].browse(call_id).outcome, "Will order 40 bags")
        count = self.env["crm.interaction"].search_count([])
        with self.assertRaises(ValidationError):
            self.contact.crm_timeline_log("fax", "Sent a fax")
        with self.assertRaises(ValidationError):
            self.contact.crm_timeline_log("call", "   ")
        # RPC can send anything: a list as subject or summary, a list as type.
        for args in (
            (["call"], "Hi"),
            ("call", ["Hi"]),
            ("call", "Hi", {"x": 1}),
            ("call", "Hi", "", ["done"]),
        ):
            with self.assertRaises(ValidationError, msg=repr(args)):
                self.contact.crm_timeline_log(*args)
        self.assertEqual(self.env["crm.interaction"].search_count([]), count)

    def test_charts_count_per_channel_and_month(self):
        charts = self.customer.get_customer_charts()
        self.assertEqual(len(charts["months"]), 12)
        self.assertEqual(
            charts["tz"], self.contact.tz or self.customer.tz or "UTC", "heatmap zone named"
        )
        self.assertEqual(len(charts["weekdays"]), 7)
        trend = {line["channel"]: line["counts"] for line in charts["trend"]}
        self.assertEqual(sum(trend[self.channel["phone"].name]), 25)
        self.assertEqual(sum(trend[self.channel["email"].name]), 1)
        self.assertTrue(all(isinstance(count, int) for count in trend[self.channel["phone"].name]))
        self.assertEqual(charts["heatmap"], self.customer.contact_time_histogram)
        # The 25 inbound calls were all at 11:00 (UTC, the customer has no time zone).
        self.assertEqual(sum(v for k, v in charts["heatmap"].items() if k.endswith("-11")), 25)

    def test_partner_form_has_one_way_to_log(self):
        """The Customer 360 tab logs through the timeline composer only: the old
        "Log a Call" / "Log Interaction" buttons are not on the partner form."""
        arch = self.env["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="crm_customer_timeline"', arch)
        for button in ("action_crm_log_call", "action_crm_log_interaction"):
            self.assertNotIn(f'name="{button}"', arch)
