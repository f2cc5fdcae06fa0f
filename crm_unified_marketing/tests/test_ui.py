from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCampaignUi(HttpCase):
    def test_create_rule_dry_run_and_activate(self):
        partners = self.env["res.partner"].create(
            [
                {"name": "Tour Customer A", "email": "tour.a@example.com"},
                {"name": "Tour Customer B", "email": "tour.b@example.com"},
            ]
        )
        self.env["crm.segment"].create(
            {
                "name": "Tour segment",
                "segment_type": "static",
                "partner_ids": [Command.set(partners.ids)],
            }
        )
        campaign = self.env["crm.campaign"].create(
            {"name": "Tour campaign", "date_end": "2099-12-31"}
        )
        self.start_tour("/odoo", "crm_campaign_rule_tour", login="admin")
        rule = campaign.rule_ids
        self.assertEqual(rule.name, "Tour rule: 20% off")
        self.assertEqual(rule.channel_line_ids.channel_id.code, "email")
        self.assertEqual(campaign.state, "active")
        self.assertFalse(campaign.delivery_ids, "a dry run plans nothing")

    def test_placeholder_picker_on_the_rule_messages(self):
        """A marketing user (not a template editor) inserts a placeholder with Odoo's
        picker, sees the body's placeholders as such and the previewed variant."""
        marketer = new_test_user(
            self.env,
            login="mkt_placeholder",
            groups="crm_unified_marketing.group_marketing_user",
        )
        customer = self.env["res.partner"].create(
            {"name": "Placeholder Customer", "email": "placeholder@example.com"}
        )
        segment = self.env["crm.segment"].create(
            {
                "name": "Placeholder segment",
                "segment_type": "static",
                "partner_ids": [Command.set(customer.ids)],
            }
        )
        campaign = self.env["crm.campaign"].create(
            {"name": "Placeholder campaign", "date_end": "2099-12-31"}
        )
        email = self.env["crm.interaction.channel"]._get_by_code("email")
        rule = self.env["crm.campaign.rule"].create(
            {
                "campaign_id": campaign.id,
                "name": "Placeholder rule",
                "segment_ids": [Command.set(segment.ids)],
                "channel_line_ids": [Command.create({"channel_id": email.id})],
                "variant_ids": [
                    Command.create({"name": "Variant Blue", "split_percent": 100.0}),
                ],
            }
        )
        self.start_tour(
            f"/odoo/action-crm_unified_marketing.crm_campaign_rule_action/{rule.id}",
            "crm_campaign_rule_placeholder_tour",
            login="mkt_placeholder",
        )
        self.assertEqual(rule.email_subject, "Hello {{object.partner_id.name}}")
        self.assertEqual(rule.write_uid, marketer)

    def test_portal_customer_reads_offers_on_my_offers(self):
        portal_user = new_test_user(
            self.env, login="mkt_portal_page", groups="base.group_portal", name="Portal Reader"
        )
        stranger = self.env["res.partner"].create({"name": "Somebody Else"})
        campaign = self.env["crm.campaign"].create({"name": "Portal", "date_end": "2099-12-31"})
        portal = self.env["crm.interaction.channel"]._get_by_code("portal")
        common = {
            "campaign_id": campaign.id,
            "channel_id": portal.id,
            "state": "sent",
            "sent_date": "2026-12-07 08:00:00",
        }
        self.env["crm.campaign.delivery"].create(
            [
                {
                    **common,
                    "partner_id": portal_user.partner_id.id,
                    "portal_subject": "Your personal desk offer",
                    "portal_body": "<p>15% off the desk</p>",
                },
                {
                    **common,
                    "partner_id": stranger.id,
                    "portal_subject": "Not for you",
                    "portal_body": "<p>secret</p>",
                },
            ]
        )
        self.authenticate("mkt_portal_page", "mkt_portal_page")
        response = self.url_open("/my/offers")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your personal desk offer", response.text)
        self.assertIn("15% off the desk", response.text)
        self.assertNotIn("Not for you", response.text)

    def test_every_view_of_the_menus_loads(self):
        actions = [
            "crm_unified_marketing.crm_campaign_action",
            "crm_unified_marketing.crm_campaign_rule_action",
            "crm_unified_marketing.crm_campaign_delivery_action",
            "crm_unified_marketing.crm_campaign_report_action",
        ]
        marketer = new_test_user(
            self.env,
            login="mkt_views",
            groups="crm_unified_marketing.group_marketing_user",
        )
        for xmlid in actions:
            action = self.env.ref(xmlid)
            model = self.env[action.res_model].with_user(marketer)
            views = model.get_views([(False, mode) for mode in action.view_mode.split(",")])
            self.assertEqual(
                set(views["views"]), set(action.view_mode.split(",")), f"views of {xmlid}"
            )
            model.web_search_read([], {"display_name": {}})
