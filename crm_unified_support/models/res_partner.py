from odoo import api, fields, models
from odoo.tools import SQL


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
        """Support figures per commercial partner, in four grouped queries.

        :return: {commercial_partner_id: {"open": int, "total": int,
            "breaches": int, "rating_avg": float or None}}
        """
        commercial = self.commercial_partner_id
        # sudo: the figures are counts shown on the customer card and fed to the
        # engagement score; they reveal no ticket content.
        Ticket = self.env["crm.support.ticket"].sudo().with_context(active_test=False)
        base = [("commercial_partner_id", "in", commercial.ids)]

        def count_by(domain):
            groups = Ticket._read_group(domain, ["commercial_partner_id"], ["__count"])
            return {partner.id: count for partner, count in groups}

        totals = count_by(base)
        open_counts = count_by([*base, ("is_closed", "=", False), ("active", "=", True)])
        breaches = count_by([*base, ("sla_failed", "=", True)])
        # sudo: same as above, only averages of the customer's own ratings.
        ratings = (
            self.env["rating.rating"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", "crm.support.ticket"),
                    ("consumed", "=", True),
                    ("rating", ">", 0),
                    ("partner_id.commercial_partner_id", "in", commercial.ids),
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
            pid: {
                "open": open_counts.get(pid, 0),
                "total": totals.get(pid, 0),
                "breaches": breaches.get(pid, 0),
                "rating_avg": rating_sum[pid][0] / rating_sum[pid][1]
                if pid in rating_sum
                else None,
            }
            for pid in commercial.ids
        }

    def _compute_support_stats(self):
        stats = self._support_stats()
        for partner in self:
            values = stats.get(partner.commercial_partner_id.id, {})
            partner.support_ticket_count = values.get("open", 0)
            partner.support_sla_breach_count = values.get("breaches", 0)
            partner.support_rating_avg = values.get("rating_avg") or 0.0

    # ---- Engagement (crm_unified hook) ----

    @api.model
    def _crm_engagement_signal_sql(self, measures, now):
        """Support adds two signals, only for customers who used support:
        satisfaction (average rating / 5) and SLA experience (share of their
        tickets answered and solved within the SLA). Tickets and ratings of
        every company count (they are the customer's experience of support)."""
        # The rating's partner may be a contact: ratings count for its commercial entity.
        return [
            *super()._crm_engagement_signal_sql(measures, now),
            SQL(
                """
                SELECT m.partner_id, m.company_id, s.name, s.value
                  FROM %(measures)s m
                  JOIN (SELECT t.commercial_partner_id AS partner_id, COUNT(*) AS total,
                               COUNT(*) FILTER (WHERE t.sla_failed) AS breaches
                          FROM crm_support_ticket t
                         WHERE t.commercial_partner_id IN (SELECT partner_id FROM %(measures)s)
                      GROUP BY t.commercial_partner_id) tickets
                    ON tickets.partner_id = m.partner_id
             LEFT JOIN (SELECT rp.commercial_partner_id AS partner_id,
                               AVG(r.rating) AS rating_avg
                          FROM rating_rating r
                          JOIN res_partner rp ON rp.id = r.partner_id
                         WHERE r.res_model = 'crm.support.ticket' AND r.consumed
                           AND r.rating > 0
                           AND rp.commercial_partner_id IN (SELECT partner_id FROM %(measures)s)
                      GROUP BY rp.commercial_partner_id) ratings
                    ON ratings.partner_id = m.partner_id
            CROSS JOIN LATERAL (VALUES
                    ('support_sla_experience', 1.0 - tickets.breaches::float8 / tickets.total),
                    ('support_csat', ratings.rating_avg / 5.0)
                ) AS s(name, value)
                 WHERE tickets.total > 0 AND s.value IS NOT NULL
                """,
                measures=measures,
            ),
        ]

    @api.model
    def _crm_engagement_signal_weights(self):
        weights = super()._crm_engagement_signal_weights()
        weights.update(support_csat=15, support_sla_experience=10)
        return weights

    # ---- Privacy erasure (crm_unified hook) ----

    def _crm_privacy_erase(self, email=False):
        """Tickets stay (for the statistics) without the person's email and phone,
        also those that only copied the searched email; so do the email senders
        of their messages."""
        result = super()._crm_privacy_erase(email)
        domain = [("partner_id", "in", self.ids)]
        if email:
            domain = ["|", *domain, ("partner_email", "ilike", email)]
        tickets = (
            self.env["crm.support.ticket"]
            .with_context(active_test=False, tracking_disable=True)
            .search(domain)
        )
        tickets.write({"partner_email": False, "partner_phone": False})
        if email and tickets:
            messages = self.env["mail.message"].search(
                [
                    ("model", "=", "crm.support.ticket"),
                    ("res_id", "in", tickets.ids),
                    ("email_from", "ilike", email),
                ]
            )
            messages.write({"email_from": False})
        return result

    def action_view_support_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_unified_support.crm_support_ticket_action"
        )
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id, "search_default_filter_open": 1}
        return action

    # ---- Customer card (crm_unified hook) ----

    def get_customer_card_data(self):
        """Add the support figures to the customer card (see crm_unified).

        :return: the crm_unified dict plus ``support`` {open, total, breaches
            (tickets whose SLA failed), rating_avg (out of 5, None without ratings)}
        """
        data = super().get_customer_card_data()
        stats = self._support_stats().get(self.commercial_partner_id.id, {})
        data["support"] = {
            "open": stats.get("open", 0),
            "total": stats.get("total", 0),
            "breaches": stats.get("breaches", 0),
            "rating_avg": stats.get("rating_avg"),
        }
        return data

    @api.model
    def _crm_card_figure_actions(self):
        actions = super()._crm_card_figure_actions()
        actions.update(
            tickets="action_view_support_tickets",
            sla_breaches="_support_action_card_sla_breaches",
            ratings="_support_action_card_ratings",
        )
        return actions

    def _support_action_card_sla_breaches(self):
        action = self.action_view_support_tickets()
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("sla_failed", "=", True),
        ]
        action["context"] = {"default_partner_id": self.id, "active_test": False}
        action["display_name"] = self.env._("SLA breaches: %(name)s", name=self.display_name)
        return action

    def _support_action_card_ratings(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Support ratings: %(name)s", name=self.display_name),
            "res_model": "rating.rating",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [
                ("res_model", "=", "crm.support.ticket"),
                ("consumed", "=", True),
                ("partner_id", "child_of", self.commercial_partner_id.id),
            ],
        }
