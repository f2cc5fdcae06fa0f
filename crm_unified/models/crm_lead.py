from odoo import api, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "crm.interaction.source.mixin"]

    # ---- CRUD ----

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads.filtered(lambda lead: lead.type == "opportunity" and lead.partner_id)._crm_capture(
            "_prepare_opportunity_created_interaction_values"
        )
        return leads

    def write(self, vals):
        if not {"stage_id", "active", "type"} & set(vals):
            return super().write(vals)
        won_before = self.filtered(lambda lead: lead.active and lead.stage_id.is_won)
        lost_before = self.filtered(lambda lead: not lead.active)
        leads_before = self.filtered(lambda lead: lead.type == "lead")
        res = super().write(vals)
        with_partner = self.filtered("partner_id")
        # A lead converted into an opportunity: the opportunity is created now.
        (
            with_partner.filtered(lambda lead: lead.type == "opportunity") & leads_before
        )._crm_capture("_prepare_opportunity_created_interaction_values")
        (
            with_partner.filtered(lambda lead: lead.active and lead.stage_id.is_won) - won_before
        )._crm_capture("_prepare_opportunity_won_interaction_values")
        if not self.env.context.get("crm_interaction_defer_lost"):
            (with_partner.filtered(lambda lead: not lead.active) - lost_before)._crm_capture(
                "_prepare_opportunity_lost_interaction_values"
            )
        return res

    # ---- Business actions ----

    def action_set_lost(self, **additional_values):
        # Captured once the lost reason is written, not when the lead is archived.
        to_lose = self.filtered("active")
        res = super(CrmLead, self.with_context(crm_interaction_defer_lost=True)).action_set_lost(
            **additional_values
        )
        to_lose.filtered(lambda lead: not lead.active and lead.partner_id)._crm_capture(
            "_prepare_opportunity_lost_interaction_values"
        )
        return res

    # ---- Interaction values (one method per event, extend with super()) ----

    def _prepare_opportunity_created_interaction_values(self):
        return self._prepare_crm_interaction_values(
            "opportunity_created",
            self.env._("Opportunity created: %(name)s", name=self.name),
            subject_params={"name": self.name},
            direction="internal",
        )

    def _prepare_opportunity_won_interaction_values(self):
        return self._prepare_crm_interaction_values(
            "opportunity_won",
            self.env._("Opportunity won: %(name)s", name=self.name),
            subject_params={"name": self.name},
            outcome=self.env._("Won"),
            direction="internal",
        )

    def _prepare_opportunity_lost_interaction_values(self):
        return self._prepare_crm_interaction_values(
            "opportunity_lost",
            self.env._("Opportunity lost: %(name)s", name=self.name),
            subject_params={"name": self.name},
            outcome=self.lost_reason_id.name or self.env._("Lost"),
            direction="internal",
        )
