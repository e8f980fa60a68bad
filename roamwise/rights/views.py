"""The privacy center (RGT-01..06), the public request form (RGT-09, CHD-03)
and the report of a suspected under-13 account (CHD-04)."""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roamwise.consent.forms import ObjectionsForm
from roamwise.core.dates import local_date
from roamwise.core.errors import DomainError
from roamwise.core.typing import AuthenticatedRequest
from roamwise.datamap.registry import data_map

from . import deadlines, hooks, selectors
from .errors import RequestNotFound
from .export import Export, export_build, export_zip
from .forms import ChildReportForm, CorrectionForm, NameForm, PublicRequestForm, uploads_from
from .models import DataRequest, RequestKind
from .services import customer, downloads, public


def editor_urls() -> dict[str, str]:
    """Where the customer edits each field the data map gives an editor (RGT-02)."""
    return {key: reverse(editor) for key, editor in selectors.editors().items()}


def zip_response(export: Export) -> HttpResponse:
    response = HttpResponse(export_zip(export), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename()}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def privacy_center(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    consents = selectors.consent_overview(user=user)
    groups = selectors.privacy_overview(user=user)
    editors = editor_urls()
    correctable = {key for key, _ in selectors.correctable_fields()}
    for group in groups:
        for source in group.sources:
            for field in source.fields:
                field.edit_url = editors.get(field.key, "") if field.editable else ""
                field.correctable = field.key in correctable
    context = {
        "groups": groups,
        "storage": selectors.storage_of(user=user),
        "consents": consents,
        "objections_form": ObjectionsForm(initial=consents["objections"]),
        "recipients": selectors.recipients_of(user=user, limit=50),
        "accesses": selectors.staff_accesses_of(user=user, limit=20),
        "requests": selectors.requests_of(user=user)[:50],
        "page_rows": selectors.PAGE_ROWS,
    }
    return render(request, "rights/center.html", context)


@login_required
@require_POST
def export_download(request: AuthenticatedRequest) -> HttpResponse:
    """Everything, as a ZIP (RGT-04); recorded as an export request answered at once."""
    customer.access_request_self(user=request.user, kind=RequestKind.EXPORT)
    return zip_response(export_build(user=request.user))


@login_required
@require_POST
def access_request(request: AuthenticatedRequest) -> HttpResponse:
    customer.access_request_self(user=request.user, kind=RequestKind.ACCESS)
    messages.success(
        request, gettext("Your access request is answered: everything we hold is on this page.")
    )
    return redirect("rights:center")


@login_required
@require_http_methods(["GET", "POST"])
def correction(request: AuthenticatedRequest) -> HttpResponse:
    choices = selectors.correctable_fields()
    initial = {"fields_to_correct": [f for f in request.GET.getlist("field") if f]}
    form = CorrectionForm(
        request.POST or None, request.FILES or None, choices=choices, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = customer.correction_request(
                user=request.user,
                fields=form.cleaned_data["fields_to_correct"],
                details=form.cleaned_data["details"],
                uploads=uploads_from(form.cleaned_data["evidence"]),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                gettext(
                    "Your correction request %(reference)s is with our privacy team; "
                    "we answer by %(due_at)s."
                )
                % {"reference": created.reference, "due_at": local_date(created.due_at)},
            )
            return redirect("rights:request", created.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "rights/correction.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def name_update(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = NameForm(
        request.POST or None, initial={"first_name": user.first_name, "last_name": user.last_name}
    )
    if request.method == "POST" and form.is_valid():
        customer.personal_details_update(
            user=user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        messages.success(request, gettext("Your name was updated."))
        return redirect("rights:center")
    status = 400 if request.method == "POST" else 200
    return render(request, "rights/name.html", {"form": form}, status=status)


@login_required
@require_POST
def objections(request: AuthenticatedRequest) -> HttpResponse:
    """Object to or restrict processing (RGT-06), recorded as requests answered at once."""
    form = ObjectionsForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Invalid choices.", status=400)
    recorded = customer.objection_request(user=request.user, switches=form.switches())
    if recorded:
        messages.success(request, gettext("Your choices are saved and apply from now on."))
    return redirect(reverse("rights:center") + "#objections")


def _retained_by_law() -> list[tuple[str, str]]:
    return [
        (d.description or d.model, d.erasure.legal_obligation)
        for d in data_map
        if d.erasure.action == "retain"
    ]


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def erase(request: AuthenticatedRequest) -> HttpResponse:
    """Erase my data now (RGT-03), after signing in again."""
    live_esims = hooks.esims_live_of(customer=request.user)
    context: dict[str, Any] = {"retained_by_law": _retained_by_law(), "live_esims": live_esims}
    if request.method == "POST":
        if request.POST.get("confirm") != "erase" or (
            live_esims and request.POST.get("confirm_esims") != "end"
        ):
            messages.error(
                request, gettext("Tick the boxes to confirm that you want your data erased.")
            )
            return render(request, "rights/erase.html", context, status=400)
        done = customer.erasure_request_self(user=request.user)
        logout(request)
        return render(request, "rights/erased.html", {"data_request": done})
    return render(request, "rights/erase.html", context)


@login_required
@require_GET
def request_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    try:
        found = selectors.request_for(user=request.user, public_id=public_id)
    except RequestNotFound:
        raise Http404("No such request.") from None
    context = {
        "data_request": found,
        "events": found.events.all(),
        "files": found.files.all(),
        "countdown": selectors.countdown(found),
        "jurisdiction": deadlines.label(found.jurisdiction),
    }
    return render(request, "rights/request.html", context)


@login_required
@require_GET
def request_file(request: AuthenticatedRequest, public_id: str, file_id: str) -> HttpResponse:
    try:
        found = selectors.request_for(user=request.user, public_id=public_id)
        evidence = selectors.file_of(request=found, public_id=file_id)
    except RequestNotFound:
        raise Http404("No such file.") from None
    return file_response(evidence.content, evidence.content_type, evidence.filename)


def file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # A download, never rendered as a page of ours.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- No account needed ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def public_request(request: HttpRequest) -> HttpResponse:
    form = PublicRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            public.public_request_open(
                email=data["email"],
                kind=data["kind"],
                relationship=data["relationship"],
                child_identifier=data["child_identifier"],
                details=data["details"],
                jurisdiction=data["jurisdiction"],
                client_ip=request.META.get("REMOTE_ADDR", ""),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            return render(request, "rights/public.html", {"form": form}, status=exc.status)
        return render(request, "rights/check_email.html", {"email": data["email"]})
    status = 400 if request.method == "POST" else 200
    return render(request, "rights/public.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def child_report(request: HttpRequest) -> HttpResponse:
    """Anyone reports a suspected under-13 account (CHD-04): an erasure
    request naming it, which staff verify before they erase."""
    form = ChildReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            public.public_request_open(
                email=data["email"],
                kind=RequestKind.ERASURE,
                relationship="reporter",
                child_identifier=data["child_identifier"],
                details=data["details"],
                jurisdiction=data["jurisdiction"],
                client_ip=request.META.get("REMOTE_ADDR", ""),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            return render(request, "rights/child_report.html", {"form": form}, status=exc.status)
        return render(request, "rights/child_report_sent.html")
    status = 400 if request.method == "POST" else 200
    return render(request, "rights/child_report.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification email. Opening it shows a button: mail
    scanners that follow links do not confirm anything."""
    try:
        if request.method == "POST":
            done = public.public_request_verify(token=token)
            return render(request, "rights/verified.html", {"data_request": done})
        found = public.public_request_check(token=token)
    except DomainError as exc:
        return render(request, "rights/link_invalid.html", {"message": exc.message}, status=404)
    return render(request, "rights/verify.html", {"data_request": found})


@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    """A one-time link to an export (RGT-09): the page, then one download."""
    try:
        if request.method == "POST":
            found: DataRequest = downloads.download_consume(token=token)
            assert found.user is not None
            return zip_response(export_build(user=found.user))
        found = downloads.download_check(token=token)
    except DomainError as exc:
        return render(request, "rights/link_invalid.html", {"message": exc.message}, status=404)
    return render(request, "rights/download.html", {"data_request": found})
