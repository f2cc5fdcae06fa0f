from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Profile figures moved to crm.partner.profile (one per customer and company):
    queue every customer so that the background job computes them."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._crm_mark_all_profiles_dirty()
