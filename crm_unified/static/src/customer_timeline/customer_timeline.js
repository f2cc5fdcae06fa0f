import { Component, onMounted, onWillUnmount, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useRecordObserver } from "@web/model/relational_model/utils";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

const { DateTime } = luxon;

// Department code -> icon of the department badge on a row.
const DEPARTMENT_ICONS = {
    sales: "fa-line-chart",
    marketing: "fa-bullhorn",
    support: "fa-life-ring",
    accounting: "fa-calculator",
};

/**
 * Customer timeline: a feed of the customer's interactions, newest first,
 * across departments, with filters, company/contact scope, paging on scroll
 * and an inline composer (call, email, note).
 *
 * Usage: <widget name="crm_customer_timeline"/> on the res.partner form.
 * Server side: res.partner.get_customer_timeline and crm_timeline_log.
 */
export class CustomerTimeline extends Component {
    static template = "crm_unified.CustomerTimeline";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.sentinel = useRef("sentinel");
        this.state = useState({
            rows: [],
            hasMore: false,
            loading: false,
            departments: [],
            channels: [],
            filters: { scope: "company", department_id: 0, channel_id: 0, kind: "", period: 0 },
            composer: { type: "call", subject: "", summary: "", outcome: "", open: false },
        });
        this.loadedFor = null;
        useRecordObserver(async (record) => {
            // A new data object means the record was (re)loaded or saved.
            if (record.data === this.loadedFor) {
                return;
            }
            this.loadedFor = record.data;
            await this.reload();
        });
        onMounted(() => {
            this.observer = new IntersectionObserver((entries) => {
                if (entries.some((entry) => entry.isIntersecting)) {
                    this.loadMore();
                }
            });
            if (this.sentinel.el) {
                this.observer.observe(this.sentinel.el);
            }
        });
        onWillUnmount(() => this.observer && this.observer.disconnect());
    }

    get partnerId() {
        return this.props.record.resId;
    }

    get periods() {
        return [
            { value: 0, label: _t("Any time") },
            { value: 30, label: _t("Last 30 days") },
            { value: 90, label: _t("Last 90 days") },
            { value: 365, label: _t("Last 12 months") },
        ];
    }

    get composerTypes() {
        return [
            { value: "call", label: _t("Call"), icon: "fa-phone" },
            { value: "email", label: _t("Email"), icon: "fa-envelope" },
            { value: "note", label: _t("Note"), icon: "fa-sticky-note-o" },
        ];
    }

    async fetch(offset) {
        if (!this.partnerId) {
            return { rows: [], has_more: false };
        }
        return this.orm.call("res.partner", "get_customer_timeline", [[this.partnerId]], {
            filters: this.state.filters,
            offset,
        });
    }

    async reload() {
        this.state.loading = true;
        try {
            const result = await this.fetch(0);
            this.state.rows = result.rows;
            this.state.hasMore = result.has_more;
            if (result.departments) {
                this.state.departments = result.departments;
                this.state.channels = result.channels;
            }
        } finally {
            this.state.loading = false;
        }
    }

    async loadMore() {
        if (!this.state.hasMore || this.state.loading) {
            return;
        }
        this.state.loading = true;
        try {
            const result = await this.fetch(this.state.rows.length);
            this.state.rows.push(...result.rows);
            this.state.hasMore = result.has_more;
        } finally {
            this.state.loading = false;
        }
    }

    async setFilter(name, value) {
        this.state.filters[name] = value;
        await this.reload();
    }

    onSelectFilter(name, ev) {
        const raw = ev.target.value;
        return this.setFilter(name, ["scope", "kind"].includes(name) ? raw : parseInt(raw) || 0);
    }

    departmentIcon(department) {
        return DEPARTMENT_ICONS[department.code] || "fa-building-o";
    }

    formatDate(row) {
        return DateTime.fromSQL(row.date, { zone: "utc" })
            .toLocal()
            .toLocaleString(DateTime.DATETIME_MED);
    }

    async openRow(row) {
        if (row.document) {
            await this.action.doAction({
                type: "ir.actions.act_window",
                res_model: row.document.model,
                res_id: row.document.id,
                views: [[false, "form"]],
                target: "current",
            });
        } else {
            await this.action.doAction({
                type: "ir.actions.act_window",
                res_model: "crm.interaction",
                res_id: row.id,
                views: [[false, "form"]],
                target: "current",
            });
        }
    }

    toggleComposer(type) {
        const composer = this.state.composer;
        composer.open = !(composer.open && composer.type === type);
        composer.type = type;
    }

    async submitComposer() {
        const composer = this.state.composer;
        if (!composer.subject.trim()) {
            this.notification.add(_t("Give the call, email or note a subject."), {
                type: "warning",
            });
            return;
        }
        await this.orm.call("res.partner", "crm_timeline_log", [
            [this.partnerId],
            composer.type,
            composer.subject,
            composer.summary,
            composer.outcome,
        ]);
        Object.assign(composer, { subject: "", summary: "", outcome: "", open: false });
        // Reloading the record (after saving pending edits) refreshes the customer
        // card and, through the record observer, this feed.
        const record = this.props.record;
        if (await record.save()) {
            await record.load();
        } else {
            await this.reload();
        }
    }
}

registry.category("view_widgets").add("crm_customer_timeline", { component: CustomerTimeline });
