from odoo import fields, models

from .crm_support_ticket import TICKET_PRIORITIES


class CrmSupportSla(models.Model):
    """SLA policy: which tickets it covers and the targets they must meet,
    in working hours of the queue's calendar."""

    _name = "crm.support.sla"
    _description = "Support SLA Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    queue_id = fields.Many2one(
        "crm.support.queue", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="queue_id.company_id", store=True, index=True)
    priority = fields.Selection(
        TICKET_PRIORITIES,
        string="Minimum Priority",
        default="0",
        required=True,
        help="The policy applies to tickets of this priority or higher.",
    )
    type_ids = fields.Many2many("crm.support.ticket.type", string="Ticket Types")
    tag_ids = fields.Many2many(
        "crm.support.tag", string="Tags", help="The ticket needs at least one of these tags."
    )
    segment_ids = fields.Many2many(
        "crm.segment",
        string="Customer Segments",
        help="Customer tier: the policy applies when the customer or their company "
        "belongs to one of these segments.",
    )
    partner_ids = fields.Many2many(
        "res.partner", string="Customers", help="The policy applies to these customers only."
    )
    first_response_hours = fields.Float(
        string="First Response", help="Working hours to the first answer. 0 = no target."
    )
    next_reply_hours = fields.Float(
        string="Next Reply",
        help="Working hours to answer each customer message. 0 = no target.",
    )
    resolution_hours = fields.Float(
        string="Resolution", help="Working hours to solve the ticket. 0 = no target."
    )
    escalation_ids = fields.One2many(
        "crm.support.sla.escalation", "sla_id", string="Escalation Levels", copy=True
    )

    _sql_constraints = [
        (
            "targets_positive",
            "CHECK (COALESCE(first_response_hours, 0) >= 0 AND COALESCE(next_reply_hours, 0) >= 0 "
            "AND COALESCE(resolution_hours, 0) >= 0)",
            "SLA targets cannot be negative.",
        ),
    ]

    def _get_ticket_targets(self):
        """Targets started when a ticket enters the policy (next reply starts
        on each customer message instead)."""
        self.ensure_one()
        targets = []
        if self.first_response_hours:
            targets.append(("first_response", self.first_response_hours))
        if self.resolution_hours:
            targets.append(("resolution", self.resolution_hours))
        return targets

    def _match_tickets(self, tickets):
        """Policies of ``self`` matching each ticket.

        :return: {ticket_id: crm.support.sla recordset}
        """
        members_by_segment = {
            segment.id: set(segment.partner_ids.ids) for segment in self.segment_ids
        }
        result = {}
        for ticket in tickets:
            partner_ids = {ticket.partner_id.id, ticket.commercial_partner_id.id} - {False}
            result[ticket.id] = self.filtered(
                lambda p, t=ticket, pids=partner_ids: p._matches_ticket(t, pids, members_by_segment)
            )
        return result

    def _matches_ticket(self, ticket, partner_ids, members_by_segment):
        self.ensure_one()
        if self.queue_id != ticket.queue_id or ticket.priority < self.priority:
            return False
        if self.type_ids and ticket.type_id not in self.type_ids:
            return False
        if self.tag_ids and not (self.tag_ids & ticket.tag_ids):
            return False
        if self.partner_ids and not (partner_ids & set(self.partner_ids.ids)):
            return False
        if self.segment_ids:
            members = set().union(*(members_by_segment[s.id] for s in self.segment_ids))
            if not (partner_ids & members):
                return False
        return True
