import base64

from markupsafe import Markup, escape
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.osv import expression
from odoo.tools.misc import formatLang

from odoo.addons.crm_unified.controllers.portal import form_texts
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

# Largest file a customer may attach from the new-ticket form.
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024


class SupportCustomerPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "support_ticket_count" in counters:
            Ticket = request.env["crm.support.ticket"].with_context(active_test=False)
            values["support_ticket_count"] = (
                Ticket.search_count(self._support_portal_visible_domain())
                if Ticket.has_access("read")
                else 0
            )
        return values

    def _support_searchbar_sortings(self):
        return {
            "date": {"label": request.env._("Newest"), "order": "create_date desc, id desc"},
            "reference": {"label": request.env._("Reference"), "order": "reference desc"},
            "stage": {"label": request.env._("Stage"), "order": "stage_id, id desc"},
        }

    def _support_searchbar_filters(self):
        return {
            "all": {"label": request.env._("All"), "domain": []},
            "open": {"label": request.env._("Open"), "domain": [("is_closed", "=", False)]},
            "closed": {"label": request.env._("Closed"), "domain": [("is_closed", "=", True)]},
        }

    def _support_searchbar_inputs(self):
        return {
            "all": {"input": "all", "label": request.env._("Search in All")},
            "reference": {"input": "reference", "label": request.env._("Search in Reference")},
            "name": {"input": "name", "label": request.env._("Search in Subject")},
        }

    def _support_portal_visible_domain(self):
        """Active tickets, and archived ones that were merged into another ticket."""
        return ["|", ("active", "=", True), ("merged_into_id", "!=", False)]

    def _support_search_domain(self, search_in, search):
        if not search:
            return []
        if search_in == "reference":
            return [("reference", "ilike", search)]
        if search_in == "name":
            return [("name", "ilike", search)]
        return ["|", ("name", "ilike", search), ("reference", "ilike", search)]

    @http.route(
        ["/my/tickets", "/my/tickets/page/<int:page>"], type="http", auth="user", website=True
    )
    def portal_my_tickets(
        self, page=1, sortby="date", filterby="all", search=None, search_in="all", **kw
    ):
        # Tickets merged into another stay listed (archived, marked as merged).
        Ticket = request.env["crm.support.ticket"].with_context(active_test=False)
        sortings = self._support_searchbar_sortings()
        filters = self._support_searchbar_filters()
        inputs = self._support_searchbar_inputs()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        search_in = search_in if search_in in inputs else "all"
        search = form_texts({"search": search}).get("search")
        domain = expression.AND(
            [
                filters[filterby]["domain"],
                self._support_search_domain(search_in, search),
                self._support_portal_visible_domain(),
            ]
        )
        count = Ticket.search_count(domain)
        pager = portal_pager(
            url="/my/tickets",
            url_args={
                "sortby": sortby,
                "filterby": filterby,
                "search": search,
                "search_in": search_in,
            },
            total=count,
            page=page,
            step=self._items_per_page,
        )
        tickets = Ticket.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_tickets_history"] = tickets.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "tickets": tickets,
                "page_name": "support_ticket",
                "default_url": "/my/tickets",
                "pager": pager,
                "searchbar_sortings": sortings,
                "searchbar_filters": filters,
                "searchbar_inputs": inputs,
                "sortby": sortby,
                "filterby": filterby,
                "search": search,
                "search_in": search_in,
            }
        )
        return request.render("crm_unified_support.portal_my_tickets", values)

    def _ticket_check_access(self, ticket_id, access_token=None):
        try:
            return self._document_check_access("crm.support.ticket", ticket_id, access_token)
        except (AccessError, MissingError) as exc:
            raise NotFound() from exc

    def _ticket_portal_attachments(self, ticket_sudo):
        """Files the visitor of a ticket page may download: those attached to
        the ticket itself (not through a message) and those of the messages the
        portal chatter shows this visitor (same domain as ``/mail/chatter_fetch``:
        website messages, and for non-employees no internal note or subtype).
        Files of internal notes are never listed, so never get a token.

        :param ticket_sudo: the ticket, already access-checked, as sudo
        :return: ir.attachment recordset (sudo)
        """
        # sudo: the visitor passed the ticket's access check; messages and files
        # of that ticket only are read, and filtered below with the visibility
        # rules of the portal chatter.
        Message = request.env["mail.message"].sudo()
        Attachment = request.env["ir.attachment"].sudo()
        messages = Message.search(
            [
                ("model", "=", ticket_sudo._name),
                ("res_id", "=", ticket_sudo.id),
                ("attachment_ids", "!=", False),
            ]
        )
        field = ticket_sudo._fields["website_message_ids"]
        shown_domain = expression.AND(
            [field.get_domain_list(ticket_sudo), [("id", "in", messages.ids)]]
        )
        if not request.env.user._is_internal():
            shown_domain = expression.AND([Message._get_search_domain_share(), shown_domain])
        shown = Message.search(shown_domain)
        hidden = (messages - shown).attachment_ids
        ticket_files = Attachment.search(
            [("res_model", "=", ticket_sudo._name), ("res_id", "=", ticket_sudo.id)]
        )
        return (ticket_files - hidden) | shown.attachment_ids

    @http.route(["/my/tickets/<int:ticket_id>"], type="http", auth="public", website=True)
    def portal_my_ticket(self, ticket_id, access_token=None, **kw):
        ticket_sudo = self._ticket_check_access(ticket_id, access_token)
        # The acknowledgement shows once, on the page the new-ticket form leads
        # to: the session (not the URL) says which ticket was just created.
        created = request.session.pop("support_ticket_created", None) == ticket_sudo.id
        return self._support_render_ticket(ticket_sudo, access_token, created=created)

    def _support_created_message(self, ticket_sudo):
        """Acknowledgement of a ticket the customer just created, with the
        expected first response time of the SLA policy governing it.

        :param ticket_sudo: the new ticket (sudo, access-checked)
        :return: translated text (str)
        """
        env = request.env
        hours = ticket_sudo._get_first_response_target_hours()
        received = env._(
            "Thank you, we have received your request %(reference)s.",
            reference=ticket_sudo.reference,
        )
        if not hours:
            return received
        if hours == 1:
            expected = env._("We will answer within 1 working hour.")
        else:
            expected = env._(
                "We will answer within %(hours)s working hours.",
                hours=formatLang(env, hours, digits=0 if hours == int(hours) else 1),
            )
        return f"{received} {expected}"

    def _support_render_ticket(self, ticket_sudo, access_token, message=None, created=False):
        """The ticket page; `message` is a translated text of ours (never read
        from the request, so that no link can put its own text on the page);
        `created` adds the acknowledgement of a ticket just created."""
        values = self._get_page_view_values(
            ticket_sudo,
            access_token,
            {
                "ticket": ticket_sudo,
                "page_name": "support_ticket",
                "message": message,
                "created_message": created and self._support_created_message(ticket_sudo),
            },
            "my_tickets_history",
            False,
        )
        attachments = self._ticket_portal_attachments(ticket_sudo)
        attachments.generate_access_token()
        values["attachments"] = attachments
        if ticket_sudo.is_closed and ticket_sudo.use_rating and ticket_sudo.partner_id:
            rated = ticket_sudo.rating_ids.filtered("consumed")
            if not rated:
                values["rating_token"] = ticket_sudo._rating_get_access_token()
        return request.render("crm_unified_support.portal_my_ticket", values)

    @http.route(
        ["/my/tickets/<int:ticket_id>/close"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_close_ticket(self, ticket_id, access_token=None, **kw):
        ticket_sudo = self._ticket_check_access(ticket_id, access_token)
        if ticket_sudo.is_closed:
            return request.redirect(ticket_sudo.get_portal_url())  # closed twice: done
        try:
            ticket_sudo.action_close_by_customer()
        except UserError as exc:
            return self._support_render_ticket(ticket_sudo, access_token, message=exc.args[0])
        return request.redirect(ticket_sudo.get_portal_url())

    def _support_portal_queues(self):
        # sudo: portal customers cannot read queues; only queues open to the
        # portal, in the customer's companies, are offered.
        return (
            request.env["crm.support.queue"]
            .sudo()
            .search(
                [
                    ("visibility", "=", "portal"),
                    ("company_id", "in", request.env.user.company_ids.ids),
                ]
            )
        )

    @http.route(["/my/tickets/new"], type="http", auth="user", methods=["GET"], website=True)
    def portal_new_ticket_form(self, **kw):
        return self._support_render_new_ticket_form()

    def _support_render_new_ticket_form(self, errors=(), values=None):
        """The new-ticket form, with our own translated `errors` and the
        customer's posted `values` (never error texts read from the request)."""
        values = dict(values or {})
        queues = self._support_portal_queues()
        # sudo: ticket types are a public list of categories.
        ticket_types = request.env["crm.support.ticket.type"].sudo().search([])
        if "queue_id" not in values and len(queues) == 1:
            values["queue_id"] = str(queues.id)
        if "type_id" not in values:
            # The only type, else the default type of the preselected queue.
            queue = queues.filtered(lambda q: str(q.id) == values.get("queue_id"))
            default_type = ticket_types if len(ticket_types) == 1 else queue.default_type_id
            values["type_id"] = str(default_type.id) if default_type else ""
        ticket_fields = request.env["crm.support.ticket"]._fields
        page_values = self._prepare_portal_layout_values()
        page_values.update(
            {
                "page_name": "support_ticket_new",
                "queues": queues,
                "ticket_types": ticket_types,
                # The product's own (translated) names of the two fields.
                "queue_label": ticket_fields["queue_id"]._description_string(request.env),
                "type_label": ticket_fields["type_id"]._description_string(request.env),
                "errors": list(errors),
                "values": values,
            }
        )
        return request.render("crm_unified_support.portal_new_ticket", page_values)

    def _support_read_new_ticket(self, post):
        """Ticket values from the posted portal form, field by field.

        :param dict post: the posted form
        :return: (ticket values, [translated error messages]); the values are
            only complete when there is no error
        """
        env = request.env
        errors = []
        queues = self._support_portal_queues()
        queue_id = (post.get("queue_id") or "").strip()
        queue = queues.filtered(lambda q: str(q.id) == queue_id)
        if not queue:
            errors.append(env._("Choose a support queue."))
        subject = (post.get("subject") or "").strip()
        if not subject:
            errors.append(env._("Give your ticket a subject."))
        type_id = (post.get("type_id") or "").strip()
        ticket_type = env["crm.support.ticket.type"]
        if type_id:
            # sudo: ticket types are a public list of categories.
            ticket_type = ticket_type.sudo().search([]).filtered(lambda t: str(t.id) == type_id)
            if not ticket_type:
                errors.append(env._("Choose a ticket type from the list."))
        elif queue:
            # "Not sure (the team decides)": the queue's default type, if any.
            ticket_type = queue.default_type_id
        description = (post.get("description") or "").strip()
        partner = request.env.user.partner_id
        return {
            "name": subject[:250],
            "description": Markup("<p>%s</p>") % escape(description).replace("\n", Markup("<br/>"))
            if description
            else False,
            "queue_id": queue.id,
            "type_id": ticket_type.id,
            "partner_id": partner.id,
            "partner_email": partner.email,
            "channel_id": request.env.ref("crm_unified.interaction_channel_portal").id,
        }, errors

    @http.route(["/my/tickets/new"], type="http", auth="user", methods=["POST"], website=True)
    def portal_new_ticket_submit(self, **post):
        post = form_texts(post, files=("attachment",))
        values, errors = self._support_read_new_ticket(post)
        upload = post.get("attachment")
        data = upload.read() if upload and hasattr(upload, "read") else b""
        if len(data) > MAX_ATTACHMENT_SIZE:
            errors.append(request.env._("The attachment is larger than 10 MB."))
        if errors:
            if data:
                errors.append(request.env._("Please attach your file again."))
            kept = {
                key: post.get(key) or ""
                for key in ("queue_id", "type_id", "subject", "description")
                if isinstance(post.get(key, ""), str)
            }
            return self._support_render_new_ticket_form(errors, kept)
        # sudo: portal customers may not create tickets directly; values were
        # validated above and the customer is forced to the logged-in user.
        ticket = request.env["crm.support.ticket"].sudo().create(values)
        ticket.message_subscribe(partner_ids=request.env.user.partner_id.ids)
        if data:
            # sudo: the attachment belongs to the ticket just created for this customer.
            request.env["ir.attachment"].sudo().create(
                {
                    "name": upload.filename or "attachment",
                    "datas": base64.b64encode(data),
                    "res_model": ticket._name,
                    "res_id": ticket.id,
                }
            )
        request.session["support_ticket_created"] = ticket.id
        return request.redirect(ticket.get_portal_url())
