from odoo.tools.sql import column_exists, rename_column


def migrate(cr, version):
    """The stored plan explanation becomes the fallback text.

    Deliveries now store what the planner decided (plan_explanation_params) and
    show it in the reader's language; the text written before, in the planner's
    language, is kept in plan_explanation_text and shown for those rows.
    """
    if not version:
        return
    if column_exists(cr, "crm_campaign_delivery", "plan_explanation") and not column_exists(
        cr, "crm_campaign_delivery", "plan_explanation_text"
    ):
        rename_column(cr, "crm_campaign_delivery", "plan_explanation", "plan_explanation_text")
