from odoo.tests import tagged

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestTicketCreationQueries(SupportCommon):
    """Creating tickets in batches: the queries do not grow by more than a fraction
    of a query per ticket, and every ticket gets the followers mail.thread would
    give it one by one (queue followers with the propagated subtypes, assigned agent)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The manager follows the queue: new tickets propagate "Ticket Created" to them.
        cls.queue.message_subscribe(partner_ids=cls.user_support_manager.partner_id.ids)
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Batch Customer {i}", "email": f"batch{i}@example.com"} for i in range(10)]
        )

    def _values(self, count, tag, agents=True):
        return [
            {
                "name": f"Batch {tag} {i}",
                "queue_id": self.queue.id,
                "partner_id": self.customers[i % len(self.customers)].id,
                **(
                    {"user_id": (self.user_support if i % 2 else self.user_support_2).id}
                    if agents
                    else {}
                ),
            }
            for i in range(count)
        ]

    def _count_create(self, count, tag):
        """Queries of creating `count` new tickets (routed later: no agent given, as
        tickets from the mail gateway, the portal and the benchmark)."""
        Ticket = self.env["crm.support.ticket"]
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        tickets = Ticket.create(self._values(count, tag, agents=False))
        self.env.flush_all()
        return tickets, self.cr.sql_log_count - before

    def test_batch_creation_queries_per_ticket(self):
        self._count_create(5, "warm")  # registry caches, sequences
        _small, small_queries = self._count_create(20, "small")
        tickets, big_queries = self._count_create(200, "big")
        per_extra_ticket = (big_queries - small_queries) / 180
        # Before the grouped auto-subscription: 3.3 per ticket (queue followers and
        # the agent subscribed ticket by ticket). What remains per ticket is stock
        # mail's update of the creator's follower subtypes (one write per follower).
        self.assertLessEqual(per_extra_ticket, 1.1, (small_queries, big_queries))
        self.assertLessEqual(big_queries / 200, 3, (small_queries, big_queries))
        self.assertEqual(len(tickets), 200)

    def test_batch_creation_followers_as_one_by_one(self):
        batch = self.env["crm.support.ticket"].create(self._values(4, "batch"))
        single = self.env["crm.support.ticket"]
        for values in self._values(4, "single"):
            single |= self.env["crm.support.ticket"].create(values)

        def followers(ticket):
            return {
                (follower.partner_id.id, frozenset(follower.subtype_ids.ids))
                for follower in ticket.message_follower_ids
            }

        manager = self.user_support_manager.partner_id
        new_subtype = self.env.ref("crm_unified_support.mt_ticket_new")
        for one, other in zip(batch, single, strict=True):
            self.assertEqual(followers(one), followers(other))
            self.assertIn(one.user_id.partner_id, one.message_partner_ids)
            manager_follower = one.message_follower_ids.filtered(lambda f: f.partner_id == manager)
            self.assertIn(new_subtype, manager_follower.subtype_ids)
        self.assertNotEqual(
            batch[0].message_partner_ids & (self.user_support | self.user_support_2).partner_id,
            batch[1].message_partner_ids & (self.user_support | self.user_support_2).partner_id,
            "each ticket is followed by its own agent",
        )
