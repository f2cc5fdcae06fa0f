from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import BaseCommon


@tagged("post_install", "-at_install")
class TestSegment(BaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Segment Other Company"})
        cls.env["res.lang"]._activate_lang("uk_UA")
        cls.ukrainians = cls.env["res.partner"].create(
            [{"name": f"Segment Olena {i}", "lang": "uk_UA", "ref": "SEGTEST"} for i in range(3)]
        )
        cls.others = cls.env["res.partner"].create(
            [{"name": f"Segment John {i}", "lang": "en_US", "ref": "SEGTEST"} for i in range(2)]
        )
        cls.segment = cls.env["crm.segment"].create(
            {
                "name": "Ukrainian speakers",
                "domain": "[('lang', '=', 'uk_UA'), ('ref', '=', 'SEGTEST')]",
            }
        )
        cls.user = new_test_user(cls.env, login="segment_user", groups="crm_unified.group_user")
        cls.manager = new_test_user(
            cls.env, login="segment_manager", groups="crm_unified.group_manager"
        )
        cls.portal = new_test_user(cls.env, login="segment_portal", groups="base.group_portal")

    def test_dynamic_segment_refresh_adds_and_removes(self):
        self.segment.action_refresh()
        self.assertEqual(self.segment.partner_ids, self.ukrainians)
        self.assertEqual(self.segment.member_count, 3)
        self.assertTrue(self.segment.last_refresh_date)
        self.assertIn(self.segment, self.ukrainians[0].segment_ids)
        self.ukrainians[0].lang = "en_US"
        self.others[0].lang = "uk_UA"
        self.segment._refresh_members()
        self.assertEqual(self.segment.partner_ids, self.ukrainians[1:] | self.others[0])
        self.assertNotIn(self.segment, self.ukrainians[0].segment_ids)

    def test_refresh_is_idempotent(self):
        self.segment._refresh_members()
        self.segment._refresh_members()
        self.assertEqual(self.segment.member_count, 3)

    def test_static_segment_keeps_hand_picked_members(self):
        static = self.env["crm.segment"].create(
            {
                "name": "Fair",
                "segment_type": "static",
                "partner_ids": [(6, 0, self.others.ids)],
            }
        )
        static.action_refresh()
        self.assertEqual(static.partner_ids, self.others)

    def test_profile_conditions(self):
        label = self.env.ref("crm_unified.rfm_label_champions")
        Profile = self.env["crm.partner.profile"]
        profiles = Profile.create(
            [
                {"partner_id": partner.id, "company_id": self.segment.company_id.id}
                for partner in self.ukrainians
            ]
        )
        profiles[0].write({"rfm_label_id": label.id, "engagement_score": 80})
        profiles[1].write({"rfm_label_id": label.id, "engagement_score": 20})
        self.segment.write({"rfm_label_ids": [(6, 0, label.ids)], "min_engagement_score": 50})
        self.segment._refresh_members()
        self.assertEqual(self.segment.partner_ids, self.ukrainians[0])
        profiles[2].churn_risk = True
        self.segment.write(
            {"rfm_label_ids": [(5, 0, 0)], "min_engagement_score": 0, "churn_filter": "at_risk"}
        )
        self.segment._refresh_members()
        self.assertEqual(self.segment.partner_ids, self.ukrainians[2])

    def test_company_of_segment_limits_members(self):
        self.ukrainians[0].company_id = self.other_company
        self.segment._refresh_members()
        self.assertEqual(self.segment.partner_ids, self.ukrainians[1:])

    def test_invalid_rule_is_refused(self):
        with self.assertRaises(ValidationError), mute_logger("odoo.sql_db"):
            self.env["crm.segment"].create({"name": "Broken", "domain": "[('nope', '=', 1)]"})

    def test_large_refresh_runs_in_background_with_progress(self):
        self.env["ir.config_parameter"].set_param("crm_unified.segment_sync_limit", 1)
        action = self.segment.action_refresh()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(self.segment.refresh_state, "queued")
        self.assertFalse(self.segment.partner_ids, "nothing done in the request")
        cron = self.env.ref("crm_unified.ir_cron_refresh_segments")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        Segment = self.env["crm.segment"].with_context(ir_cron_progress_id=progress.id)
        for _run in range(100):
            Segment._cron_refresh_segments(batch_size=1)
            if not progress.remaining:
                break
        self.assertEqual(self.segment.refresh_state, "done")
        self.assertEqual(self.segment.partner_ids, self.ukrainians)
        self.assertGreaterEqual(progress.done, 1)

    def test_refresh_query_count_independent_of_size(self):
        small = self.env["crm.segment"].create(
            {"name": "Small", "domain": "[('ref', '=', 'SEGTEST'), ('lang', '=', 'en_US')]"}
        )
        self.env["res.partner"].create(
            [{"name": f"Segment Bulk {i}", "ref": "SEGBULK"} for i in range(200)]
        )
        big = self.env["crm.segment"].create({"name": "Big", "domain": "[('ref', '=', 'SEGBULK')]"})
        small._refresh_members()  # warm caches
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        small._refresh_members()
        queries = self.env.cr.sql_log_count - before
        self.env.invalidate_all()
        with self.assertQueryCount(queries):
            big._refresh_members()
        self.assertEqual(big.member_count, 200)

    def test_access_rights(self):
        self.segment.with_user(self.user).read(["name", "member_count"])
        with self.assertRaises(AccessError):
            self.env["crm.segment"].with_user(self.user).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.segment.with_user(self.user).write({"name": "Renamed"})
        self.env["crm.segment"].with_user(self.manager).create({"name": "Managed"})
        with self.assertRaises(AccessError):
            self.segment.with_user(self.portal).read(["name"])
        with self.assertRaises(AccessError):
            self.env["crm.rfm.label"].with_user(self.user).create({"name": "Mine"})

    def test_multi_company_rule(self):
        foreign = self.env["crm.segment"].create(
            {"name": "Foreign", "company_id": self.other_company.id}
        )
        shared = self.env["crm.segment"].create({"name": "Shared", "company_id": False})
        visible = self.env["crm.segment"].with_user(self.user).search([])
        self.assertIn(shared, visible)
        self.assertIn(self.segment, visible)
        self.assertNotIn(foreign, visible)

    def test_rule_may_use_dates_relative_to_today(self):
        recent = self.env["crm.segment"].create(
            {
                "name": "Created this year",
                "domain": "[('ref', '=', 'SEGTEST'), ('create_date', '>=', "
                "(context_today() - relativedelta(years=1)).strftime('%Y-%m-%d'))]",
            }
        )
        recent._refresh_members()
        self.assertEqual(recent.partner_ids, self.ukrainians | self.others)
