from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    interaction_ids = fields.One2many("crm.interaction", "partner_id", string="Interactions")
    interaction_count = fields.Integer(compute="_compute_interaction_count")
    segment_ids = fields.Many2many(
        "crm.segment",
        "crm_segment_partner_rel",
        "partner_id",
        "segment_id",
        string="Segments",
    )
    consent_ids = fields.One2many("crm.contact.consent", "partner_id", string="Consents")
    do_not_contact = fields.Boolean(
        tracking=True, help="Never contact this customer for marketing, on any channel."
    )
    quiet_hour_start = fields.Float(
        help="Start of the window (customer's time zone) in which we do not contact them."
    )
    quiet_hour_end = fields.Float(help="End of the quiet window (customer's time zone).")
    preferred_channel_id = fields.Many2one(
        "crm.interaction.channel",
        string="Preferred Channel",
        help="The channel this customer answers or buys on most.",
    )

    def _compute_interaction_count(self):
        # A company's timeline includes its contacts: count on the commercial entity.
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.interaction_count = counts.get(partner.commercial_partner_id, 0)

    def _crm_get_consent(self, channel_codes):
        """Consent per partner and channel code, in one batch.

        A do-not-contact flag and the mail/phone blacklists count as opt-out.
        """
        result = {
            partner.id: dict.fromkeys(channel_codes, "unknown") for partner in self
        }
        consents = self.env["crm.contact.consent"].search(
            [("partner_id", "in", self.ids), ("channel_id.code", "in", list(channel_codes))]
        )
        for consent in consents:
            result[consent.partner_id.id][consent.channel_id.code] = consent.state
        blacklisted = set()
        if "email" in channel_codes:
            emails = [e for e in self.mapped("email_normalized") if e]
            blacklisted = set(
                self.env["mail.blacklist"]
                .sudo()  # sudo: only reads which of these addresses are blacklisted
                .search([("email", "in", emails)])
                .mapped("email")
            )
        for partner in self:
            if partner.do_not_contact:
                result[partner.id] = dict.fromkeys(channel_codes, "opt_out")
            elif partner.email_normalized in blacklisted:
                result[partner.id]["email"] = "opt_out"
        return result

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_unified.crm_interaction_action")
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id}
        action["display_name"] = self.env._("Customer 360: %(name)s", name=self.display_name)
        return action
