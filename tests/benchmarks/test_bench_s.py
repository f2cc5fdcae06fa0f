"""Size S of the benchmark suite, run by the default test command (pytest-odoo).

Every workload runs once against its baseline on 1,000 generated customers; the
test checks that both compute the same result, and the query counts that must
not grow with the data. Timings are written to .odoo-run/benchmark-S.json for
people; no assertion is made on seconds. The M and L sizes run by hand:
scripts/bench.sh (see tests/benchmarks/README.md).
"""

from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .generator import generate
from .harness import run_workload, table, write
from .workloads import WORKLOADS, PartnerForm, PartnerFormLatest, TimelineFirstPage

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
        mid_id = self.data["customer_ids"][1]
        self.env.flush_all()
        # Give the second customer 100 rows shaped as the generator's (channel, user).
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
            for workload_class in (TimelineFirstPage, PartnerForm, PartnerFormLatest):
                row = run_workload(self.env, workload_class("S"), data, repeats=3)
                counts[label, workload_class.name] = row["ours"]["queries"]
        for workload_class in (TimelineFirstPage, PartnerForm, PartnerFormLatest):
            self.assertEqual(counts["big", workload_class.name], counts["mid", workload_class.name])
