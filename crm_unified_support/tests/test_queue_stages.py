from contextlib import contextmanager

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestQueueStages(SupportCommon):
    """A queue made with only a name works: standard shared stages, first
    stage for its tickets, closing possible; never without open/closing stage."""

    @contextmanager
    def _refused(self, text):
        # assertRaises (unlike assertRaisesRegex) rolls the failed write back.
        with self.assertRaises(ValidationError) as ctx:
            yield
        self.assertIn(text, str(ctx.exception))

    def test_new_queue_with_only_a_name_gets_standard_stages(self):
        self.assertTrue(
            self.env["crm.support.queue"].search_count([("id", "!=", self.queue.id)]),
            "The database already has queues (demo data)",
        )
        with Form(self.env["crm.support.queue"]) as form:
            form.name = "Brand new desk"
        queue = form.save()
        standard = self.env.ref("crm_unified_support.stage_new") | self.env.ref(
            "crm_unified_support.stage_solved"
        )
        self.assertLessEqual(standard, queue.stage_ids, "Standard stages, shared")
        self.assertTrue(queue.stage_ids.filtered("is_closed"))
        ticket = self.env["crm.support.ticket"].create(
            {"name": "First", "queue_id": queue.id, "partner_id": self.customer.id}
        )
        self.assertEqual(ticket.stage_id, queue.stage_ids.filtered(lambda s: not s.is_closed)[0])
        self.assertEqual(ticket.stage_id, self.env.ref("crm_unified_support.stage_new"))
        ticket.with_user(self.user_portal_carla).sudo().action_close_by_customer()
        self.assertTrue(ticket.is_closed)

    def test_standard_stages_gone_still_gives_open_and_closing(self):
        Stage = self.env["crm.support.stage"]
        standard = Stage.browse(
            [
                self.env.ref(xmlid).id
                for xmlid in (
                    "crm_unified_support.stage_new",
                    "crm_unified_support.stage_in_progress",
                    "crm_unified_support.stage_waiting",
                    "crm_unified_support.stage_solved",
                    "crm_unified_support.stage_cancelled",
                )
            ]
        )
        standard.queue_ids.write({"stage_ids": [(6, 0, self.stages.ids)]})
        standard.action_archive()
        unused = Stage.search([("queue_ids", "=", False)])
        unused.action_archive()
        queue = self.env["crm.support.queue"].create({"name": "Bare desk"})
        self.assertTrue(queue.stage_ids.filtered("is_closed"))
        self.assertTrue(queue.stage_ids.filtered(lambda s: not s.is_closed))

    def test_queue_never_without_open_or_closing_stage(self):
        Queue = self.env["crm.support.queue"]
        with self._refused("closing stage"):
            Queue.create({"name": "Only open", "stage_ids": [(6, 0, self.stage_new.ids)]})
        with self._refused("open stage"):
            Queue.create({"name": "Only closed", "stage_ids": [(6, 0, self.stage_solved.ids)]})
        with self._refused("closing stage"):
            self.queue.write({"stage_ids": [(3, self.stage_solved.id)]})
        # From the stage side: un-closing, archiving, leaving the queue, deleting.
        with self._refused("closing stage"):
            self.stage_solved.is_closed = False
        with self._refused("closing stage"):
            self.stage_solved.action_archive()
        with self._refused("closing stage"):
            self.stage_solved.write({"queue_ids": [(3, self.queue.id)]})
        with self._refused("without an open or a closing stage"):
            self.stage_solved.unlink()
        with self._refused("without an open or a closing stage"):
            self.stages.filtered(lambda s: not s.is_closed).unlink()
        # A second closing stage makes the first one removable.
        cancelled = self.env["crm.support.stage"].create(
            {"name": "T Cancelled", "is_closed": True, "queue_ids": [(4, self.queue.id)]}
        )
        self.stage_solved.write({"queue_ids": [(3, self.queue.id)]})
        self.assertEqual(self.queue.stage_ids.filtered("is_closed"), cancelled)
