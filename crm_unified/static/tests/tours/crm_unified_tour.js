/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Platform proof: the CRM Unified app opens from the home menu and shows the interactions.
registry.category("web_tour.tours").add("crm_unified_open_app_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the CRM Unified app",
            trigger: ".o_app[data-menu-xmlid='crm_unified.menu_root']",
            run: "click",
        },
        {
            content: "The app is open",
            trigger: ".o_main_navbar .o_menu_brand:contains('CRM Unified')",
        },
        {
            content: "Open the Customers menu",
            trigger: ".o_main_navbar button[data-menu-xmlid='crm_unified.menu_customer']",
            run: "click",
        },
        {
            content: "Open the interactions",
            trigger: ".dropdown-item[data-menu-xmlid='crm_unified.crm_interaction_menu']",
            run: "click",
        },
        {
            content: "The interaction list is shown",
            trigger: ".o_list_view .o_data_row:contains('Welcome call')",
        },
        {
            content: "Switch to the timeline cards",
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "A card shows the channel icon",
            trigger: ".o_kanban_record:contains('Welcome call') .fa-phone",
        },
        {
            content: "Switch to the calendar",
            trigger: ".o_switch_view.o_calendar",
            run: "click",
        },
        {
            trigger: ".o_calendar_view",
        },
        {
            content: "Switch to the pivot analysis",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            trigger: ".o_pivot_view .o_pivot",
        },
        {
            content: "Switch to the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            trigger: ".o_graph_view .o_graph_renderer",
        },
        {
            content: "Back to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Open a captured interaction",
            trigger: ".o_list_view .o_data_row td[name=subject_display]:contains('Opportunity created')",
            run: "click",
        },
        {
            content: "Its source document is a link",
            trigger: ".o_form_view .o_field_widget[name=document_ref]:contains('Bakery ovens')",
        },
        {
            content: "Open the source document",
            trigger: ".o_form_view button[name=action_open_document]",
            run: "click",
        },
        {
            content: "The opportunity is shown",
            // Not "any name field": the step must fail when another record opens.
            trigger: ".o_form_view .o_field_widget[name=name] textarea:value(Bakery ovens)",
        },
    ],
});

// A salesperson opens a customer, logs a call from the Customer 360 tab and sees it first.
registry.category("web_tour.tours").add("crm_unified_log_call_tour", {
    steps: () => [
        {
            content: "Open the Customer 360 tab",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Customer 360')",
            run: "click",
        },
        {
            content: "The timeline shows the older history",
            trigger: ".o_crm_timeline .o_crm_timeline_row:contains('Visit at the bakery')",
        },
        {
            content: "The customer card says when we last spoke",
            trigger: ".o_crm_customer_card .o_crm_card_last_contact:contains('20 days ago')",
        },
        {
            content: "One way to log: the timeline composer, no duplicate log buttons on the tab",
            trigger:
                ".o_notebook:not(:has(button[name=action_crm_log_call])):not(:has(button[name=action_crm_log_interaction])) .o_crm_timeline_composer_buttons",
        },
        {
            content: "Log a call",
            trigger: ".o_crm_timeline button[data-composer=call]",
            run: "click",
        },
        {
            content: "Describe the call",
            trigger: ".o_crm_timeline_composer .o_crm_timeline_subject",
            run: "edit Called about the spring order",
        },
        {
            content: "Note its outcome",
            trigger: ".o_crm_timeline_composer .o_crm_timeline_outcome_input",
            run: "edit Will order 40 bags",
        },
        {
            content: "Save the call",
            trigger: ".o_crm_timeline_composer .o_crm_timeline_submit",
            run: "click",
        },
        {
            content: "The call is at the top of the timeline",
            trigger:
                ".o_crm_timeline .o_crm_timeline_row:first-child:contains('Called about the spring order')",
        },
        {
            content: "The customer card is updated at once",
            trigger: ".o_crm_customer_card .o_crm_card_last_contact:contains('Just now')",
        },
        {
            content: "The older visit comes after it",
            trigger:
                ".o_crm_timeline .o_crm_timeline_row:nth-child(2):contains('Visit at the bakery')",
        },
    ],
});
