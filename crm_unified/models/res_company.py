from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_rfm_months = fields.Integer(
        string="RFM Period (Months)",
        default=24,
        help="Confirmed orders of this many past months are ranked into RFM scores.",
    )
    crm_churn_days = fields.Integer(
        string="Churn Delay (Days)",
        default=180,
        help="A buyer without an order for longer than this, and little engagement, "
        "is flagged as at risk of churn.",
    )

    crm_no_contact_days = fields.Integer(
        string="No-Contact Alert (Days)",
        default=90,
        help="Customers whose last interaction is older than this are listed in "
        "Customers Without Contact.",
    )

    _sql_constraints = [
        (
            "crm_rfm_months_positive",
            "CHECK(crm_rfm_months > 0)",
            "The RFM period must be positive.",
        ),
        (
            "crm_churn_days_positive",
            "CHECK(crm_churn_days > 0)",
            "The churn delay must be positive.",
        ),
        (
            "crm_no_contact_days_positive",
            "CHECK(crm_no_contact_days > 0)",
            "The no-contact alert delay must be positive.",
        ),
    ]
