from odoo import fields, models


class CrmSupportSlaEscalation(models.Model):
    """One level of an SLA policy's escalation ladder."""

    _name = "crm.support.sla.escalation"
    _description = "SLA Escalation Level"
    _order = "percent, id"

    sla_id = fields.Many2one(
        "crm.support.sla", string="SLA Policy", required=True, index=True, ondelete="cascade"
    )
    percent = fields.Integer(
        string="Time Used (%)",
        required=True,
        default=80,
        help="Fires when this share of the target's working time is used; 100 = breach.",
    )
    notify = fields.Selection(
        [
            ("assignee", "Assignee"),
            ("manager", "Queue manager"),
            ("both", "Assignee and queue manager"),
        ],
        required=True,
        default="assignee",
    )
    raise_priority = fields.Boolean(help="Raise the ticket's priority by one level.")
    reassign_user_id = fields.Many2one(
        "res.users",
        string="Reassign to",
        domain=[("share", "=", False)],
        help="Give the ticket to this user when the level fires.",
    )

    _sql_constraints = [
        (
            "percent_positive",
            "CHECK (percent > 0)",
            "An escalation level needs a positive percentage.",
        ),
        (
            "percent_uniq",
            "unique (sla_id, percent)",
            "Two escalation levels of a policy cannot share a percentage.",
        ),
    ]
