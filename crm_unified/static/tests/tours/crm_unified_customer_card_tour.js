import { registry } from "@web/core/registry";

// The customer card is on the form: figures are there and one opens its records.
registry.category("web_tour.tours").add("crm_unified_customer_card_tour", {
    steps: () => [
        {
            content: "The card shows the 12-month revenue as money",
            trigger: ".o_form_view .o_crm_customer_card [data-figure=orders] .o_crm_card_value:contains('1,200.00')",
        },
        {
            content: "The order count is a label and a number, never '1 orders'",
            trigger: ".o_crm_customer_card [data-figure=orders] .o_crm_card_orders:contains('Orders: 1'):not(:contains('1 orders'))",
        },
        {
            content: "The RFM label says it is based on purchases, not contacts, and gives its rule",
            trigger: ".o_crm_customer_card .o_crm_card_rfm .o_crm_card_rfm_help[title*='purchases, not contacts'][title*='Segment ']",
        },
        {
            content: "The card shows the consent per channel",
            trigger: ".o_crm_customer_card [data-figure=consents] .o_crm_card_consent[data-state=opt_in]",
        },
        {
            content: "The card shows the customer's local time",
            trigger: ".o_crm_customer_card .o_crm_card_local_time:contains('Europe/Kyiv')",
        },
        {
            content: "The best contact time names the time zone it is expressed in",
            trigger: ".o_crm_customer_card .o_crm_card_best_time:contains('Best:'):contains('(Europe/Kyiv)')",
        },
        {
            content: "The card shows the segment",
            trigger: ".o_crm_customer_card .o_crm_card_segment:contains('Card Regulars')",
        },
        {
            content: "Open the confirmed orders behind the revenue",
            trigger: ".o_crm_customer_card [data-figure=orders]",
            run: "click",
        },
        {
            content: "The customer's confirmed order is listed",
            trigger: ".o_list_view .o_data_row:contains('Card Bakery')",
        },
    ],
});
