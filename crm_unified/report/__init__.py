from . import crm_partner_duplicate
