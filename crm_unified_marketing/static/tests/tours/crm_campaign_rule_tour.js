/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crm_campaign_rule_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("crm_unified.menu_root", "Open the CRM Unified app"),
        {
            trigger: 'button[data-menu-xmlid="crm_unified_marketing.menu_marketing"]',
            run: "click",
        },
        {
            trigger: 'a[data-menu-xmlid="crm_unified_marketing.crm_campaign_rule_menu"]',
            run: "click",
        },
        {
            trigger: "button.o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Tour rule: 20% off",
        },
        {
            trigger: ".o_field_widget[name=campaign_id] input",
            run: "edit Tour campaign",
        },
        {
            trigger: ".ui-autocomplete a:contains(Tour campaign)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=segment_ids] input",
            run: "edit Tour segment",
        },
        {
            trigger: ".ui-autocomplete a:contains(Tour segment)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=segment_ids] .o_tag:contains(Tour segment)",
        },
        {
            trigger: "div[name=channel_line_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: "div[name=channel_line_ids] .o_field_widget[name=channel_id] input",
            run: "edit Email",
        },
        {
            trigger: ".ui-autocomplete a:contains(Email)",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            trigger: "button[name=action_open_dry_run]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=reach_count]:contains(2)",
        },
        {
            // the send time on the customer's clock, beside the user's
            trigger: ".modal div[name=reach_line_ids] .o_data_cell[name=local_time]:contains(:00)",
        },
        {
            content: "Every column header of the dry run reads in full (none is cut)",
            trigger: ".modal div[name=reach_line_ids] thead th[data-name=scheduled_date]",
            run() {
                const spans = document.querySelectorAll(
                    ".modal .o_field_x2many_list thead th span.text-truncate"
                );
                if (!spans.length) {
                    throw new Error("no column header found in the dry run");
                }
                for (const span of spans) {
                    if (span.scrollWidth > span.clientWidth) {
                        throw new Error(`column header cut: ${span.textContent}`);
                    }
                }
            },
        },
        {
            trigger: ".modal button[name=action_activate_rule]",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
