from odoo import fields, models


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    support_follow_salesperson = fields.Boolean(
        string="Salesperson Follows Tickets",
        help="The salesperson of a customer of this segment follows the customer's support "
        "tickets in every queue, whatever the queue's own setting.",
    )
