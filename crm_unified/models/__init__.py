from . import crm_interaction_channel
from . import crm_interaction_department
from . import crm_interaction
from . import res_partner
from . import crm_segment
from . import crm_contact_consent
