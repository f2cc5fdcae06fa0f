import { registry } from "@web/core/registry";

// The timeline feed on the partner form: filters, paging, composer, charts, rows opening documents.
registry.category("web_tour.tours").add("crm_unified_timeline_tour", {
    steps: () => [
        {
            content: "Open the Customer 360 tab",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Customer 360')",
            run: "click",
        },
        {
            content: "A contact's call is in the company's feed, with the contact named",
            trigger: ".o_crm_timeline_row.o_crm_timeline_touch:contains('Feed call 0') .o_crm_timeline_partner:contains('Feed Baker')",
        },
        {
            content: "The order confirmation is a business event, shown apart",
            trigger: ".o_crm_timeline_row.o_crm_timeline_event:contains('confirmed')",
        },
        {
            content: "Its amount is money",
            trigger: ".o_crm_timeline_row.o_crm_timeline_event .o_crm_timeline_outcome:contains('1,880.00')",
        },
        {
            content: "Only customer touches",
            trigger: ".o_crm_timeline_filters select[name=kind]",
            run: "select touch",
        },
        {
            content: "The business event is gone",
            trigger: ".o_crm_timeline:not(:has(.o_crm_timeline_event)) .o_crm_timeline_row:contains('Feed call 0')",
        },
        {
            content: "Only business events",
            trigger: ".o_crm_timeline_filters select[name=kind]",
            run: "select event",
        },
        {
            content: "The touches are gone",
            trigger: ".o_crm_timeline:not(:has(.o_crm_timeline_touch)) .o_crm_timeline_event",
        },
        {
            content: "Back to everything",
            trigger: ".o_crm_timeline_filters select[name=kind]",
            run: "select ",
        },
        {
            content: "The first page offers more",
            trigger: ".o_crm_timeline:not(:has(.o_crm_timeline_row:nth-child(21))) .o_crm_timeline_more",
        },
        {
            content: "Load the next page",
            trigger: ".o_crm_timeline .o_crm_timeline_more",
            run: "click",
        },
        {
            content: "More than 20 rows now",
            trigger: ".o_crm_timeline_row:nth-child(21)",
        },
        {
            content: "Open the note composer",
            trigger: ".o_crm_timeline button[data-composer=note]",
            run: "click",
        },
        {
            content: "Write the note",
            trigger: ".o_crm_timeline_composer .o_crm_timeline_subject",
            run: "edit Prefers deliveries on Monday",
        },
        {
            content: "Log it",
            trigger: ".o_crm_timeline_composer .o_crm_timeline_submit",
            run: "click",
        },
        {
            content: "The note is first in the feed",
            trigger: ".o_crm_timeline_row:first-child:contains('Prefers deliveries on Monday')",
        },
        {
            content: "Open the Profile tab with the charts",
            trigger: ".o_form_view .o_notebook a.nav-link[name=customer_profile]",
            run: "click",
        },
        {
            content: "The monthly trend is a chart",
            trigger: ".o_crm_customer_charts canvas.o_crm_chart_trend",
        },
        {
            content: "The contact times are a chart",
            trigger: ".o_crm_customer_charts canvas.o_crm_chart_heatmap",
        },
        {
            content: "Back to the feed",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Customer 360')",
            run: "click",
        },
        {
            content: "Open the order from its row",
            trigger: ".o_crm_timeline_row.o_crm_timeline_event:contains('confirmed')",
            run: "click",
        },
        {
            content: "The sale order is shown",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Feed Bakery')",
        },
    ],
});
