import { registry } from "@web/core/registry";

// On a ticket, the agent sees the customer card with the support figures.
registry.category("web_tour.tours").add("crm_support_customer_card", {
    steps: () => [
        {
            content: "The card on the ticket counts the customer's open tickets",
            trigger: ".o_form_view .o_crm_customer_card [data-figure=tickets] .o_crm_card_value:contains('2')",
        },
        {
            content: "It counts the SLA breaches",
            trigger: ".o_crm_customer_card [data-figure=sla_breaches] .o_crm_card_value:contains('1')",
        },
        {
            content: "It shows the satisfaction",
            trigger: ".o_crm_customer_card [data-figure=ratings] .o_crm_card_value:contains('4.0 / 5')",
        },
        {
            content: "Open the breached tickets",
            trigger: ".o_crm_customer_card [data-figure=sla_breaches]",
            run: "click",
        },
        {
            content: "The breached ticket is listed",
            trigger: ".o_data_row:contains('Breached printer'), .o_kanban_record:contains('Breached printer')",
        },
    ],
});
