import { Component, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

// The countdown moves every 30 seconds while the SLA clock runs.
const TICK_MS = 30000;

/**
 * SLA countdown: the remaining WORKING time of the ticket's governing SLA
 * target (computed on the server in the queue calendar with the holidays of the
 * queue's company, as the deadlines are), coloured by the share
 * of the target used (green, amber from 75 %, red when late), the governing
 * policy named in the tooltip and in the form when several targets are open.
 *
 * Usage: <field name="sla_time_left_hours" widget="crm_sla_countdown"/>.
 */
export class SlaCountdown extends Component {
    static template = "crm_unified_support.SlaCountdown";
    static props = {
        ...standardFieldProps,
        showPolicy: { type: Boolean, optional: true },
    };

    setup() {
        this.state = useState({ loadedAt: Date.now(), now: Date.now() });
        this.loadedData = this.props.record.data;
        const timer = setInterval(() => (this.state.now = Date.now()), TICK_MS);
        onWillUnmount(() => clearInterval(timer));
    }

    get data() {
        const data = this.props.record.data;
        if (data !== this.loadedData) {
            // The record was reloaded: the server figures are fresh again.
            this.loadedData = data;
            this.state.loadedAt = Date.now();
        }
        return data;
    }

    get hoursLeft() {
        // The server computes the working time left with the function that plans
        // the deadlines (queue calendar, holidays of the queue's company only);
        // between two loads the widget only lets the clock run until the end of
        // the current working period the server gave, never its own calendar.
        const data = this.data;
        let hours = data[this.props.name] || 0;
        if (data.sla_clock_running) {
            let now = this.state.now;
            const until = data.sla_clock_running_until;
            if (until) {
                now = Math.min(now, Math.max(until.toMillis(), this.state.loadedAt));
            }
            hours -= (now - this.state.loadedAt) / 3600000;
        }
        return hours;
    }

    get stateName() {
        const data = this.data;
        if (data.sla_time_state === "paused") {
            return "paused";
        }
        return this.hoursLeft < 0 ? "late" : data.sla_time_state;
    }

    get colorClass() {
        return {
            on_track: "text-bg-success",
            at_risk: "text-bg-warning",
            late: "text-bg-danger",
            paused: "text-bg-secondary",
        }[this.stateName];
    }

    get text() {
        const hours = Math.abs(this.hoursLeft);
        const totalMinutes = Math.floor(hours * 60);
        const h = Math.floor(totalMinutes / 60);
        const m = String(totalMinutes % 60).padStart(2, "0");
        const duration = `${h}:${m}`;
        if (this.stateName === "paused") {
            return _t("Paused, %(duration)s left", { duration });
        }
        if (this.hoursLeft < 0) {
            return _t("Late by %(duration)s", { duration });
        }
        return _t("%(duration)s left", { duration });
    }

    get title() {
        const data = this.data;
        const used = Math.round((data.sla_time_used_ratio || 0) * 100);
        return _t("%(policy)s: %(used)s%% of the working time used (working hours of the queue calendar)", {
            policy: data.sla_time_policy || "",
            used,
        });
    }
}

export const slaCountdown = {
    component: SlaCountdown,
    displayName: _t("SLA countdown"),
    supportedTypes: ["float"],
    extractProps: ({ options }) => ({ showPolicy: Boolean(options.show_policy) }),
    fieldDependencies: [
        { name: "sla_time_used_ratio", type: "float" },
        { name: "sla_time_policy", type: "char" },
        { name: "sla_time_policy_count", type: "integer" },
        { name: "sla_time_state", type: "char" },
        { name: "sla_clock_running", type: "boolean" },
        { name: "sla_clock_running_until", type: "datetime" },
    ],
};

registry.category("fields").add("crm_sla_countdown", slaCountdown);
