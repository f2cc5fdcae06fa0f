import { Component, onWillStart, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { cookie } from "@web/core/browser/cookie";
import { getColor, hexToRGBA } from "@web/core/colors/colors";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useRecordObserver } from "@web/model/relational_model/utils";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

const colorScheme = cookie.get("color_scheme");
// Largest bubble radius (px) of the contact-time heatmap.
const MAX_BUBBLE_RADIUS = 12;

/**
 * Profile charts with Odoo's Chart.js (the web.chartjs_lib bundle, as the
 * graph view loads it): a contact-time heatmap (weekday x hour bubbles, one
 * legend entry per weekday with its count) and a stacked bar chart of
 * interactions per channel and month (legend entries with their counts).
 *
 * Usage: <widget name="crm_customer_charts"/> on the res.partner form.
 */
export class CustomerCharts extends Component {
    static template = "crm_unified.CustomerCharts";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.heatmapRef = useRef("heatmap");
        this.trendRef = useRef("trend");
        this.charts = [];
        this.state = useState({ data: null });
        this.loadedFor = null;
        onWillStart(() => loadBundle("web.chartjs_lib"));
        useRecordObserver(async (record) => {
            if (record.data === this.loadedFor) {
                return;
            }
            this.loadedFor = record.data;
            this.state.data = record.resId
                ? await this.orm.call("res.partner", "get_customer_charts", [[record.resId]])
                : null;
        });
        useEffect(
            () => {
                this.renderCharts();
            },
            () => [this.state.data]
        );
        onWillUnmount(() => this.destroyCharts());
    }

    get hasHeatmap() {
        return Boolean(this.state.data && Object.keys(this.state.data.heatmap).length);
    }

    get hasTrend() {
        return Boolean(this.state.data && this.state.data.trend.length);
    }

    destroyCharts() {
        for (const chart of this.charts) {
            chart.destroy();
        }
        this.charts = [];
    }

    renderCharts() {
        this.destroyCharts();
        if (this.hasHeatmap && this.heatmapRef.el) {
            this.charts.push(new Chart(this.heatmapRef.el, this.heatmapConfig()));
        }
        if (this.hasTrend && this.trendRef.el) {
            this.charts.push(new Chart(this.trendRef.el, this.trendConfig()));
        }
    }

    heatmapConfig() {
        const { heatmap, weekdays } = this.state.data;
        const peak = Math.max(...Object.values(heatmap));
        const datasets = weekdays.map((weekday, day) => {
            const points = [];
            let total = 0;
            for (let hour = 0; hour < 24; hour++) {
                const count = heatmap[`${day}-${hour}`] || 0;
                if (count) {
                    total += count;
                    points.push({
                        x: hour,
                        y: day,
                        r: 3 + ((MAX_BUBBLE_RADIUS - 3) * count) / peak,
                        count,
                    });
                }
            }
            const color = getColor(day, colorScheme, 7);
            return {
                label: `${weekday} (${total})`,
                data: points,
                backgroundColor: hexToRGBA(color, 0.7),
                borderColor: color,
            };
        });
        return {
            type: "bubble",
            data: { datasets },
            options: {
                maintainAspectRatio: false,
                plugins: {
                    legend: { position: "bottom" },
                    tooltip: {
                        callbacks: {
                            label: (item) =>
                                _t("%(weekday)s %(hour)s:00 — contacts: %(count)s", {
                                    weekday: weekdays[item.raw.y],
                                    hour: String(item.raw.x).padStart(2, "0"),
                                    count: item.raw.count,
                                }),
                        },
                    },
                },
                scales: {
                    x: {
                        min: -0.5,
                        max: 23.5,
                        ticks: {
                            stepSize: 3,
                            callback: (value) =>
                                Number.isInteger(value) ? `${String(value).padStart(2, "0")}:00` : "",
                        },
                        title: { display: true, text: _t("Hour (customer's time)") },
                    },
                    y: {
                        min: -0.5,
                        max: 6.5,
                        reverse: true,
                        ticks: {
                            stepSize: 1,
                            callback: (value) => weekdays[value] || "",
                        },
                    },
                },
            },
        };
    }

    trendConfig() {
        const { months, trend } = this.state.data;
        const datasets = trend.map((line, index) => {
            const total = line.counts.reduce((sum, count) => sum + count, 0);
            const color = getColor(index, colorScheme, trend.length);
            return {
                label: `${line.channel} (${total})`,
                data: line.counts,
                backgroundColor: color,
                borderColor: color,
            };
        });
        return {
            type: "bar",
            data: { labels: months, datasets },
            options: {
                maintainAspectRatio: false,
                plugins: { legend: { position: "bottom" } },
                scales: {
                    x: { stacked: true },
                    y: {
                        stacked: true,
                        beginAtZero: true,
                        ticks: { precision: 0 },
                        title: { display: true, text: _t("Interactions") },
                    },
                },
            },
        };
    }
}

registry.category("view_widgets").add("crm_customer_charts", { component: CustomerCharts });
