from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Phone match keys were the last nine digits; they are E.164 numbers now."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._crm_recompute_phone_keys()
