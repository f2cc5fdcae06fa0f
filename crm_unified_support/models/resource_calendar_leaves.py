from odoo import api, models


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        self.env["crm.support.ticket.sla"]._sla_follow_leaves(leaves._support_scopes())
        return leaves

    def write(self, vals):
        scopes = self._support_scopes()
        res = super().write(vals)
        self.env["crm.support.ticket.sla"]._sla_follow_leaves(scopes + self._support_scopes())
        return res

    def unlink(self):
        scopes = self._support_scopes()
        res = super().unlink()
        self.env["crm.support.ticket.sla"]._sla_follow_leaves(scopes)
        return res

    def _support_scopes(self):
        """What each holiday can move: ``(calendar, company, date_from, date_to)``
        with an empty calendar for a company-wide holiday. Leaves of one
        resource (an employee's time off) do not count for SLA clocks."""
        return [
            (leave.calendar_id, leave.company_id, leave.date_from, leave.date_to)
            for leave in self
            if not leave.resource_id and leave.time_type == "leave"
        ]
