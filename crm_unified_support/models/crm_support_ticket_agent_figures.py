from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

# Satisfaction of the agent's own figures: ratings of the last this many days.
AGENT_CSAT_DAYS = 90


class CrmSupportTicket(models.Model):
    """The agent's own figures on the support dashboard (open, due today, breached, CSAT)."""

    _inherit = "crm.support.ticket"

    @api.model
    def _get_my_figure_domain(self, figure):
        """Domain of the current user's tickets behind one of their own figures.

        :param figure: "open", "due_today" or "breached"
        :raise UserError: for an unknown figure
        """
        mine = [("user_id", "=", self.env.uid)]
        if figure == "breached":
            figure = "sla_failed"
        if figure not in ("open", "due_today", "sla_failed"):
            raise UserError(self.env._("Unknown figure: %(figure)s", figure=figure))
        return [*mine, *self.env["crm.support.queue"]._get_kpi_ticket_domain(figure)]

    @api.model
    def get_my_support_figures(self):
        """The current user's own support figures, in four grouped queries.

        :return: dict with ``open``, ``due_today`` (next SLA deadline today, the
            user's time zone), ``breached`` (open with a failed SLA target):
            ticket counts; ``csat`` (average rating out of 5 of the user's
            tickets rated in the last 90 days, None without rating) and
            ``rating_count``
        """
        result = {
            figure: self.search_count(self._get_my_figure_domain(figure))
            for figure in ("open", "due_today", "breached")
        }
        since = fields.Datetime.now() - relativedelta(days=AGENT_CSAT_DAYS)
        # sudo: only the average of the ratings of the user's own tickets is read.
        groups = (
            self.env["rating.rating"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", self._name),
                    ("consumed", "=", True),
                    ("rating", ">", 0),
                    ("rated_partner_id", "=", self.env.user.partner_id.id),
                    ("write_date", ">=", since),
                ],
                [],
                ["rating:avg", "__count"],
            )
        )
        average, count = groups[0]
        result.update(csat=average if count else None, rating_count=count)
        return result

    @api.model
    def action_my_support_figure(self, figure):
        """Open the current user's tickets behind one of their own figures.

        :param figure: "open", "due_today" or "breached"
        :return: an ir.actions.act_window dict
        """
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_support.crm_support_ticket_action"
        )
        action["domain"] = self._get_my_figure_domain(figure)
        action["context"] = {}
        action["display_name"] = self.env._("My tickets")
        return action
