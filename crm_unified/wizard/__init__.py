from . import crm_interaction_log
