/** @odoo-module */

import { registry } from "@web/core/registry";

// The rule's messages: Odoo's placeholder picker on the subject, placeholders
// shown as such in the email body editor, the customer's variant named in the preview.
registry.category("web_tour.tours").add("crm_campaign_rule_placeholder_tour", {
    steps: () => [
        {
            trigger: ".o_form_view a[name=messages]",
            run: "click",
        },
        {
            trigger: "div[name=email_subject] input",
            run: "edit Hello",
        },
        {
            // the magic wand of Odoo's dynamic placeholder (web CharField)
            trigger: "div[name=email_subject] button.fa-magic",
            run: "click",
        },
        {
            trigger: ".o_model_field_selector_popover li[data-name=partner_id] .o_model_field_selector_popover_item_relation",
            run: "click",
        },
        {
            trigger: ".o_model_field_selector_popover li[data-name=name] .o_model_field_selector_popover_item_name",
            run: "click",
        },
        {
            trigger: ".o_model_field_selector_popover button:contains(Insert)",
            run: "click",
        },
        {
            // moving on with Tab hands the value to the record, as for typed text
            trigger: "div[name=email_subject] input:value(Hello {{object.partner_id.name}})",
            run: "press Tab",
        },
        {
            trigger: "div[name=sms_body] textarea",
            run: "click",
        },
        {
            // the SMS text has the picker too (web TextField), shown on focus
            trigger: "div[name=sms_body] button.fa-magic",
            run: "click",
        },
        {
            trigger: ".o_model_field_selector_popover li[data-name=partner_id]",
        },
        {
            trigger: ".o_model_field_selector_popover .o_model_field_selector_popover_close",
            run: "click",
        },
        {
            trigger: "body:not(:has(.o_model_field_selector_popover))",
        },
        {
            // QWeb placeholders of the body are shown as placeholders, not as escaped text
            trigger: "div[name=email_body_html] .odoo-editor-editable [t-out='object.partner_id.name']",
        },
        {
            trigger: "div[name=email_body_html] .odoo-editor-editable:not(:contains(&lt;t))",
        },
        {
            trigger: ".o_form_view a[name=preview]",
            run: "click",
        },
        {
            trigger: "div[name=preview_partner_id] input",
            run: "edit Placeholder Customer",
        },
        {
            trigger: ".ui-autocomplete a:contains(Placeholder Customer)",
            run: "click",
        },
        {
            trigger: "div[name=preview_variant_id]:contains(Variant Blue)",
        },
        {
            trigger: "div[name=preview_subject]:contains(Hello Placeholder Customer)",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
    ],
});
