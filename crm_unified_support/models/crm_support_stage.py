from odoo import fields, models


class CrmSupportStage(models.Model):
    _name = "crm.support.stage"
    _description = "Support Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    queue_ids = fields.Many2many(
        "crm.support.queue",
        "crm_support_queue_stage_rel",
        "stage_id",
        "queue_id",
        string="Queues",
        help="Queues using this stage. A stage without queue is offered to no queue.",
    )
    fold = fields.Boolean(string="Folded in Kanban")
    is_closed = fields.Boolean(
        string="Closing Stage",
        help="Tickets in this stage are solved or closed: the resolution clock stops.",
    )
    pause_sla = fields.Boolean(
        string="Pause SLA",
        help="While a ticket is in this stage (e.g. waiting for the customer), "
        "its SLA clocks stand still.",
    )
    template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "crm.support.ticket")],
        help="Email sent to the customer when a ticket enters this stage.",
    )
