from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal


class CampaignPortal(CustomerPortal):
    def _prepare_offers_domain(self):
        partner = request.env.user.partner_id
        return [
            ("partner_id", "child_of", [partner.commercial_partner_id.id]),
            ("channel_code", "=", "portal"),
            ("sent_date", "!=", False),
        ]

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "crm_offer_count" in counters:
            Delivery = request.env["crm.campaign.delivery"]
            values["crm_offer_count"] = (
                Delivery.search_count(self._prepare_offers_domain())
                if Delivery.has_access("read")
                else 0
            )
        return values

    @route(["/my/offers"], type="http", auth="user", website=True)
    def portal_my_offers(self, **kwargs):
        offers = request.env["crm.campaign.delivery"].search(
            self._prepare_offers_domain(), order="sent_date desc", limit=50
        )
        values = self._prepare_portal_layout_values()
        values.update({"offers": offers, "page_name": "crm_offers"})
        return request.render("crm_unified_marketing.portal_my_offers", values)
