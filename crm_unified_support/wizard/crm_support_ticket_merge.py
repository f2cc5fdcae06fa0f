from odoo import api, fields, models


class CrmSupportTicketMerge(models.TransientModel):
    """Merge tickets of one customer: the agent picks the ticket to keep, then confirms."""

    _name = "crm.support.ticket.merge"
    _description = "Merge Support Tickets"

    ticket_ids = fields.Many2many("crm.support.ticket", string="Tickets", required=True)
    target_id = fields.Many2one(
        "crm.support.ticket",
        string="Ticket to Keep",
        required=True,
        domain="[('id', 'in', ticket_ids)]",
        help="The other tickets are archived and point to this one; their customers still "
        "see them on the portal as merged into it.",
    )
    merged_ticket_ids = fields.Many2many(
        "crm.support.ticket", compute="_compute_merged_ticket_ids", string="Tickets Merged"
    )
    message_count = fields.Integer(string="Messages Moved", compute="_compute_merged_ticket_ids")
    reopen_target = fields.Boolean(
        string="Reopens the Kept Ticket",
        compute="_compute_merged_ticket_ids",
        help="The ticket to keep is closed and an open ticket is merged into it: "
        "it is reopened so the customer's open request is not lost in a closed ticket.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "crm.support.ticket":
            tickets = self.env["crm.support.ticket"].browse(self.env.context.get("active_ids", []))
            tickets._check_mergeable()
            values["ticket_ids"] = [fields.Command.set(tickets.ids)]
            # The oldest ticket is offered: it usually holds the history.
            values["target_id"] = tickets.sorted(lambda t: (t.create_date, t.id))[:1].id
        return values

    @api.depends("ticket_ids", "target_id")
    def _compute_merged_ticket_ids(self):
        counts = dict(
            self.env["mail.message"]._read_group(
                [
                    ("model", "=", "crm.support.ticket"),
                    ("res_id", "in", self.ticket_ids.ids),
                    ("message_type", "in", ("email", "comment")),
                ],
                ["res_id"],
                ["__count"],
            )
        )
        for wizard in self:
            merged = wizard.ticket_ids - wizard.target_id
            wizard.merged_ticket_ids = merged
            wizard.message_count = sum(counts.get(ticket.id, 0) for ticket in merged)
            wizard.reopen_target = bool(wizard.target_id) and wizard.target_id._merge_needs_reopen(
                merged
            )

    def action_merge(self):
        """Merge the tickets into the one to keep and open it. A closed kept
        ticket is reopened when an open ticket is merged into it.

        :return: an ir.actions.act_window of the kept ticket
        :raise UserError: see crm.support.ticket._merge_into
        """
        self.ensure_one()
        target = self.ticket_ids._merge_into(self.target_id)
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.support.ticket",
            "res_id": target.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
