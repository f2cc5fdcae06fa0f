from . import (
    test_dashboard,
    test_escalation,
    test_history,
    test_mail_gateway,
    test_portal,
    test_report,
    test_routing,
    test_routing_concurrency,
    test_security,
    test_sla,
    test_ui,
    test_working_hours,
)
