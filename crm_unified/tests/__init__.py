from . import test_crm_interaction
