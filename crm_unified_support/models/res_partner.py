from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    support_ticket_count = fields.Integer(
        string="Open Tickets", compute="_compute_support_stats", groups="base.group_user"
    )
    support_sla_breach_count = fields.Integer(
        string="SLA Breaches", compute="_compute_support_stats", groups="base.group_user"
    )
    support_rating_avg = fields.Float(
        string="Average Support Rating",
        compute="_compute_support_stats",
        groups="base.group_user",
        help="Average of the customer's ticket ratings, out of 5.",
    )

    def _support_stats(self):
        """Support figures per commercial partner, in three grouped queries.

        :return: {commercial_partner_id: (open tickets, SLA breaches, average rating)}
        """
        commercial_ids = self.commercial_partner_id.ids
        # sudo: the figures are counts shown on the customer card; they reveal no ticket content.
        Ticket = self.env["crm.support.ticket"].sudo()
        open_counts = dict(
            Ticket._read_group(
                [("commercial_partner_id", "in", commercial_ids), ("is_closed", "=", False)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        breaches = dict(
            Ticket._read_group(
                [("commercial_partner_id", "in", commercial_ids), ("sla_failed", "=", True)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        # sudo: same as above, only averages of the customer's own ratings.
        ratings = (
            self.env["rating.rating"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", "crm.support.ticket"),
                    ("consumed", "=", True),
                    ("rating", ">", 0),
                    ("partner_id.commercial_partner_id", "in", commercial_ids),
                ],
                ["partner_id"],
                ["rating:sum", "__count"],
            )
        )
        rating_sum = {}
        for partner, total, count in ratings:
            key = partner.commercial_partner_id.id
            current = rating_sum.get(key, (0.0, 0))
            rating_sum[key] = (current[0] + total, current[1] + count)
        return {
            pid: (
                open_counts.get(self.browse(pid), 0),
                breaches.get(self.browse(pid), 0),
                rating_sum[pid][0] / rating_sum[pid][1] if pid in rating_sum else 0.0,
            )
            for pid in commercial_ids
        }

    def _compute_support_stats(self):
        stats = self._support_stats()
        for partner in self:
            values = stats.get(partner.commercial_partner_id.id, (0, 0, 0.0))
            partner.support_ticket_count = values[0]
            partner.support_sla_breach_count = values[1]
            partner.support_rating_avg = values[2]

    def action_view_support_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_support.crm_support_ticket_action"
        )
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id, "search_default_filter_open": 1}
        return action
