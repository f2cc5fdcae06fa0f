{
    "name": "CRM Unified",
    "version": "18.0.1.4.0",
    "category": "Sales/CRM",
    "sequence": 16,
    "summary": "One customer history across sales, marketing and support, "
    "with a 360° customer profile, segments and contact preferences",
    "author": "CRM Unified",
    "website": "https://github.com/crm-unified/crm-unified",
    "license": "LGPL-3",
    # portal: the customer's own contact-preferences page.
    # phone_validation: phone numbers normalised for matching and phone.blacklist.
    # privacy_lookup: the privacy lookup finds and erases what the addons keep about a person.
    "depends": [
        "contacts",
        "mail",
        "sale_management",
        "crm",
        "utm",
        "portal",
        "phone_validation",
        "privacy_lookup",
    ],
    # phonenumbers: phone numbers matched on their full international form.
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/crm_unified_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_interaction_security.xml",
        "security/crm_segment_security.xml",
        "security/crm_partner_profile_security.xml",
        "data/crm_interaction_channel_data.xml",
        "data/crm_interaction_department_data.xml",
        "data/crm_rfm_label_data.xml",
        "data/ir_cron_data.xml",
        "views/crm_interaction_channel_views.xml",
        "views/crm_interaction_department_views.xml",
        "data/crm_interaction_cron.xml",
        "wizard/crm_interaction_log_views.xml",
        "views/crm_interaction_views.xml",
        "views/crm_interaction_source_views.xml",
        "report/crm_partner_duplicate_views.xml",
        "views/res_partner_views.xml",
        "views/customer_card_views.xml",
        "views/crm_segment_views.xml",
        "views/crm_contact_consent_views.xml",
        "views/crm_rfm_label_views.xml",
        "views/res_config_settings_views.xml",
        "views/portal_templates.xml",
        "report/crm_rfm_report_views.xml",
        "views/crm_unified_menus.xml",
    ],
    "demo": [
        "demo/res_partner_demo.xml",
        "demo/sale_order_demo.xml",
        "demo/crm_interaction_demo.xml",
        "demo/crm_segment_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_unified/static/src/**/*",
        ],
        "web.assets_tests": [
            "crm_unified/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "application": True,
}
