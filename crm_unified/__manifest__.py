{
    "name": "CRM Unified",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "sequence": 16,
    "summary": "One customer history across sales, marketing and support, "
    "with a 360° customer profile, segments and contact preferences",
    "author": "CRM Unified",
    "website": "https://github.com/crm-unified/crm-unified",
    "license": "LGPL-3",
    # portal: the customer's own contact-preferences page.
    # phone_validation: phone numbers normalised for matching and phone.blacklist.
    "depends": [
        "contacts",
        "mail",
        "sale_management",
        "crm",
        "utm",
        "portal",
        "phone_validation",
    ],
    "data": [
        "security/crm_unified_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_interaction_security.xml",
        "security/crm_segment_security.xml",
        "data/crm_interaction_channel_data.xml",
        "data/crm_interaction_department_data.xml",
        "views/crm_interaction_channel_views.xml",
        "views/crm_interaction_department_views.xml",
        "data/crm_interaction_cron.xml",
        "wizard/crm_interaction_log_views.xml",
        "views/crm_interaction_views.xml",
        "views/crm_interaction_source_views.xml",
        "report/crm_partner_duplicate_views.xml",
        "views/res_partner_views.xml",
        "views/crm_unified_menus.xml",
    ],
    "demo": [],
    "assets": {
        "web.assets_tests": [
            "crm_unified/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "installable": True,
}
