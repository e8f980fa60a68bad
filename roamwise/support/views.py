from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roamwise.core.dates import local_date
from roamwise.core.errors import DomainError
from roamwise.core.ratelimit import RateLimited
from roamwise.governance.contact import privacy_contact
from roamwise.orders import selectors as orders

from . import selectors, services
from .errors import TicketNotFound
from .forms import ReplyForm, TicketForm, VisitorTicketForm, uploads_from
from .models import Category, Ticket

SESSION_KEY = "support_tickets"


def _visitor_ids(request: HttpRequest) -> list[str]:
    return list(request.session.get(SESSION_KEY, []))


def _grant_visitor(request: HttpRequest, ticket: Ticket) -> None:
    ids = _visitor_ids(request)
    if ticket.public_id.hex not in ids:
        request.session[SESSION_KEY] = [*ids, ticket.public_id.hex][-20:]


def _viewer_ticket(request: HttpRequest, public_id: str) -> Ticket:
    try:
        return selectors.ticket_for(
            public_id=public_id,
            user=request.user if request.user.is_authenticated else None,
            visitor_ticket_ids=_visitor_ids(request),
        )
    except TicketNotFound:
        raise Http404("No such ticket.") from None


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("support:new")
    tickets = selectors.tickets_of(customer=request.user)[:100]
    return render(request, "support/list.html", {"tickets": tickets})


@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    initial: dict[str, Any] = {}
    if request.GET.get("category") in Category.values:
        initial["category"] = request.GET["category"]
    if user is not None:
        order_choices = [
            (str(o.public_id), f"{o.plan.name} · {local_date(o.created_at, 'medium')}")
            for o in orders.orders_of(customer=user).select_related("plan")[:50]
        ]
        form: TicketForm = TicketForm(
            request.POST or None, request.FILES or None, orders=order_choices, initial=initial
        )
    else:
        form = VisitorTicketForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        uploads = uploads_from(data["attachments"], settings.SUPPORT_ATTACHMENT_MAX_BYTES)
        try:
            if user is not None:
                order = (
                    orders.order_of(customer=user, public_id=data["order"])
                    if data.get("order")
                    else None
                )
                ticket = services.ticket_open(
                    customer=user,
                    category=data["category"],
                    title=data["title"],
                    body=data["body"],
                    uploads=uploads,
                    order=order,
                )
                messages.success(
                    request,
                    gettext("Your request %(reference)s is with our team.")
                    % {"reference": ticket.reference},
                )
                return redirect("support:detail", ticket.public_id)
            services.ticket_open_visitor(
                email=data["email"],
                category=data["category"],
                title=data["title"],
                body=data["body"],
                uploads=uploads,
                client_ip=_client_ip(request),
            )
            return render(request, "support/check_email.html", {"email": data["email"]})
        except RateLimited as exc:
            form.add_error(None, exc.message)
            response = render(request, "support/new.html", {"form": form}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except DomainError as exc:
            form.add_error(None, exc.message)
    status = 400 if request.method == "POST" else 200
    return render(request, "support/new.html", {"form": form}, status=status)


@require_GET
def ticket_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = services.ticket_confirm(token=token)
    except DomainError as exc:
        return render(request, "support/link_invalid.html", {"message": exc.message}, status=404)
    _grant_visitor(request, ticket)
    messages.success(
        request,
        gettext("Thank you: your request %(reference)s is with our team.")
        % {"reference": ticket.reference},
    )
    return redirect("support:detail", ticket.public_id)


@require_GET
def ticket_access(request: HttpRequest, token: str) -> HttpResponse:
    """The link in our emails to a visitor: opens their ticket in this browser."""
    public_id = services.access_token_read(token)
    ticket = (
        Ticket.objects.filter(public_id=public_id, customer=None).first() if public_id else None
    )
    if ticket is None or ticket.confirmed_at is None:
        return render(
            request,
            "support/link_invalid.html",
            {"message": "This link is not valid or has expired."},
            status=404,
        )
    _grant_visitor(request, ticket)
    return redirect("support:detail", ticket.public_id)


@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    ticket = _viewer_ticket(request, public_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            uploads = uploads_from(
                form.cleaned_data["attachments"], settings.SUPPORT_ATTACHMENT_MAX_BYTES
            )
            try:
                services.message_post_customer(
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    author=ticket.customer,
                    uploads=uploads,
                )
                return redirect("support:detail", ticket.public_id)
            except DomainError as exc:
                form.add_error(None, exc.message)
        status = 400
    context = {
        "ticket": ticket,
        "thread": selectors.thread(ticket=ticket),
        "form": form,
    }
    return render(request, "support/detail.html", context, status=status)


@require_GET
def ticket_thread(request: HttpRequest, public_id: str) -> HttpResponse:
    """The conversation alone, which the ticket page polls to feel like a chat."""
    ticket = _viewer_ticket(request, public_id)
    return render(
        request,
        "support/_thread.html",
        {"ticket": ticket, "thread": selectors.thread(ticket=ticket)},
    )


@require_GET
def attachment_download(request: HttpRequest, public_id: str, attachment_id: str) -> HttpResponse:
    ticket = _viewer_ticket(request, public_id)
    try:
        attachment = selectors.attachment_of(ticket=ticket, public_id=attachment_id, staff=False)
    except (TicketNotFound, ValueError):
        raise Http404("No such attachment.") from None
    return attachment_response(attachment)


def attachment_response(attachment: Any) -> HttpResponse:
    response = HttpResponse(attachment.content, content_type=attachment.content_type)
    # Never rendered inline as a page of ours: a download, and no sniffing.
    response["Content-Disposition"] = f'attachment; filename="{attachment.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def complaints(request: HttpRequest) -> HttpResponse:
    """How to complain: to us by email, phone, post or a ticket, and to the
    supervisory authority (RGT-08). All from settings."""
    context = {
        "privacy_phone": settings.PRIVACY_PHONE,
        "privacy_address": settings.PRIVACY_ADDRESS,
        "authority_name": settings.SUPERVISORY_AUTHORITY_NAME,
        "authority_url": settings.SUPERVISORY_AUTHORITY_URL,
        # The data protection officer and EU representative (POL-03).
        "contact": privacy_contact(),
    }
    return render(request, "support/complaints.html", context)


@csrf_exempt  # authenticated by the mail provider's signature instead
@require_POST
def inbound_email(request: HttpRequest) -> HttpResponse:
    """The inbound mail provider posts each email sent to a reply address."""
    try:
        outcome = services.inbound_email_receive(
            body=request.body, signature=request.headers.get("X-Roamwise-Signature", "")
        )
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    return JsonResponse({"received": True, "outcome": outcome})
