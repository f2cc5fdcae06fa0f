import base64

from markupsafe import Markup, escape
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.osv import expression

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

    @http.route(["/my/tickets/<int:ticket_id>"], type="http", auth="public", website=True)
    def portal_my_ticket(self, ticket_id, access_token=None, **kw):
        ticket_sudo = self._ticket_check_access(ticket_id, access_token)
        values = self._get_page_view_values(
            ticket_sudo,
            access_token,
            {"ticket": ticket_sudo, "page_name": "support_ticket", "message": kw.get("message")},
            "my_tickets_history",
            False,
        )
        # sudo: files attached to the ticket itself (not to messages), shown to
        # whoever passed the access check above, with a per-file token.
        attachments = (
            request.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", ticket_sudo._name), ("res_id", "=", ticket_sudo.id)])
        )
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
        try:
            ticket_sudo.action_close_by_customer()
        except UserError as exc:
            return request.redirect(
                ticket_sudo.get_portal_url(query_string=f"&message={escape(str(exc))}")
            )
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
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "support_ticket_new",
                "queues": self._support_portal_queues(),
                # sudo: ticket types are a public list of categories.
                "ticket_types": request.env["crm.support.ticket.type"].sudo().search([]),
                "error": kw.get("error"),
                "values": kw,
            }
        )
        return request.render("crm_unified_support.portal_new_ticket", values)

    def _support_validate_new_ticket(self, post):
        """Ticket values from the portal form, or raise UserError."""
        queues = self._support_portal_queues()
        try:
            queue = queues.filtered(lambda q: q.id == int(post.get("queue_id") or 0))
        except ValueError:
            queue = queues.browse()
        if not queue:
            raise UserError(request.env._("Choose a support queue."))
        subject = (post.get("subject") or "").strip()
        if not subject:
            raise UserError(request.env._("Give your ticket a subject."))
        type_id = False
        if post.get("type_id"):
            # sudo: ticket types are a public list of categories.
            ticket_type = (
                request.env["crm.support.ticket.type"].sudo().browse(int(post["type_id"])).exists()
            )
            type_id = ticket_type.id
        description = (post.get("description") or "").strip()
        partner = request.env.user.partner_id
        return {
            "name": subject[:250],
            "description": Markup("<p>%s</p>") % escape(description).replace("\n", Markup("<br/>"))
            if description
            else False,
            "queue_id": queue.id,
            "type_id": type_id,
            "partner_id": partner.id,
            "partner_email": partner.email,
            "channel_id": request.env.ref("crm_unified.interaction_channel_portal").id,
        }

    @http.route(["/my/tickets/new"], type="http", auth="user", methods=["POST"], website=True)
    def portal_new_ticket_submit(self, **post):
        try:
            values = self._support_validate_new_ticket(post)
        except (UserError, ValueError) as exc:
            params = {k: v for k, v in post.items() if k in ("subject", "description")}
            return self.portal_new_ticket_form(error=str(exc), **params)
        upload = post.get("attachment")
        data = upload.read() if upload and hasattr(upload, "read") else b""
        if len(data) > MAX_ATTACHMENT_SIZE:
            return self.portal_new_ticket_form(
                error=request.env._("The attachment is larger than 10 MB."),
                subject=post.get("subject"),
                description=post.get("description"),
            )
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
        return request.redirect(ticket.get_portal_url())
