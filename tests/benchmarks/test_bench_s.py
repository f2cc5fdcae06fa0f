"""Size S of the benchmark suite, run by the default test command (pytest-odoo).

Every workload runs once against its baseline on 1,000 generated customers; the
test checks that both compute the same result, and the query counts that must
not grow with the data. Timings are written to .odoo-run/benchmark-S.json for
people; no assertion is made on seconds. The M and L sizes run by hand:
scripts/bench.sh (see tests/benchmarks/README.md).
"""

from datetime import datetime, timedelta
from pathlib import Path

from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .generator import generate
from .harness import Rollback, run_workload, table, write
from .workloads import (
    WORKLOADS,
    CustomerCard,
    PartnerForm,
    PartnerFormLatest,
    ProfileRecompute,
    TimelineFirstPage,
)

# Workloads whose queries must not grow with the customer's history.
QUERY_STABLE = (TimelineFirstPage, PartnerForm, PartnerFormLatest, CustomerCard)
REPORT = Path(__file__).resolve().parents[2] / ".odoo-run" / "benchmark-S.json"


@tagged("post_install", "-at_install", "crm_unified_benchmark")
class TestBenchmarkSizeS(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(user=cls.env.ref("base.user_admin"))
        cls.data = generate(cls.env, "S", seed=42)
        cls.rows = []

    @classmethod
    def tearDownClass(cls):
        if cls.rows:
            write(REPORT, {"size": "S", "results": cls.rows})
            print("\n" + table(cls.rows))
        super().tearDownClass()

    def _run(self, workload_class):
        row = run_workload(self.env, workload_class("S"), self.data, repeats=1)
        row["size"] = "S"
        self.rows.append(row)
        return row

    def test_every_baseline_computes_what_we_compute(self):
        for workload_class in WORKLOADS:
            with self.subTest(workload=workload_class.name):
                row = self._run(workload_class)
                outputs = row.pop("outputs")
                self.assertTrue(outputs.get("ours") is not None or workload_class.name)
                self.assertEqual(
                    outputs.get("ours"),
                    outputs.get("baseline"),
                    f"{workload_class.name}: our result differs from the baseline's",
                )

    def test_timeline_and_partner_form_queries_do_not_grow_with_history(self):
        """Same query count for the customer with 5,000 interactions and one with 100."""
        self.env.flush_all()
        # A customer without orders, as the biggest one: amounts of zero cost no currency
        # read on the form and the card, so that only the history differs.
        mid_id = self.env.execute_query(
            SQL(
                "SELECT p.id FROM res_partner p WHERE p.id = ANY(%s) AND p.id != %s "
                "AND NOT EXISTS (SELECT 1 FROM sale_order so JOIN res_partner c "
                "ON c.id = so.partner_id WHERE c.commercial_partner_id = p.id) "
                "ORDER BY p.id LIMIT 1",
                self.data["customer_ids"],
                self.data["big_customer_id"],
            )
        )[0][0]
        # Give that customer 100 rows shaped as the generator's (channel, user).
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_interaction (partner_id, commercial_partner_id, date, channel_id,
                       direction, subject, user_id, source, company_id)
                SELECT partner_id, commercial_partner_id, date - interval '1 day', channel_id,
                       direction, subject, user_id, source, company_id
                  FROM crm_interaction WHERE commercial_partner_id = %s
                 ORDER BY date DESC, id DESC LIMIT 100
                """,
                self.data["big_customer_id"],
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE crm_interaction SET partner_id = %s, commercial_partner_id = %s "
                "WHERE create_date IS NULL",
                mid_id,
                mid_id,
            )
        )
        mid = dict(self.data, big_customer_id=mid_id)
        counts = {}
        for label, data in (("big", self.data), ("mid", mid)):
            for workload_class in QUERY_STABLE:
                row = run_workload(self.env, workload_class("S"), data, repeats=3)
                counts[label, workload_class.name] = row["ours"]["queries"]
        for workload_class in QUERY_STABLE:
            self.assertEqual(
                counts["big", workload_class.name], counts["mid", workload_class.name], counts
            )

    def test_profile_baseline_counts_the_same_12_months_when_run_later(self):
        """The M difference: interactions at the edge of the 12-month window.

        At M the baseline runs minutes after our recompute; an interaction dated
        in between was in one side's window only. And a window over 29 February
        is 366 days (12 calendar months), not 365. Both sides now compute at
        the instant fixed by the workload's setup.
        """
        customer_id = self.data["customer_ids"][2]
        at = datetime(2028, 3, 1, 12, 0, 0)  # 12 months back: 1 March 2027 12:00
        dates = [
            datetime(2027, 3, 1, 11, 59, 59),  # just outside
            datetime(2027, 3, 1, 12, 0, 0),  # the first instant inside
            datetime(2027, 3, 1, 12, 1, 0),  # inside; outside 2 minutes later
            datetime(2027, 3, 1, 18, 0, 0),  # inside 12 months, outside 365 days
        ]
        self.env.flush_all()
        for date in dates:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO crm_interaction (partner_id, commercial_partner_id, date,
                           channel_id, direction, subject, user_id, source, company_id)
                    SELECT partner_id, commercial_partner_id, %s, channel_id, direction,
                           subject, user_id, source, company_id
                      FROM crm_interaction WHERE commercial_partner_id = %s LIMIT 1
                    """,
                    date,
                    customer_id,
                )
            )
        workload = ProfileRecompute("S")
        outputs = {}
        with Rollback(self.env), freeze_time(at) as frozen:
            workload.setup(self.env, self.data)
            with Rollback(self.env):
                outputs["ours"] = workload.normalise(self.env, workload.ours(self.env))
            frozen.tick(timedelta(minutes=2))  # the baseline runs later, as at M
            with Rollback(self.env):
                outputs["baseline"] = workload.normalise(self.env, workload.baseline(self.env))
        ours = {row[0]: row for row in outputs["ours"]}
        self.assertEqual(ours[customer_id][5], 3, "the three interactions inside the window")
        self.assertEqual(outputs["ours"], outputs["baseline"])
