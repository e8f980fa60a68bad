"""Data-subject requests are themselves personal data: kept 3 years as proof
that each was answered, and kept through an erasure (which is itself such a
request). Their free text is sealed with the customer's key, so an erasure
leaves only kinds, dates, statuses and counts readable."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    KEY_NAME,
    ROW_BOOKKEEPING,
    TOKEN_HASH,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

REQUEST_DAYS = 3 * 365
# Who reported an account as a child's is never shown to its holder (CHD-04).
REPORTER = "reporter"


def _requests_shown(rows: QuerySet) -> QuerySet:
    return rows.exclude(requester_kind=REPORTER)


def _request_rows_shown(rows: QuerySet) -> QuerySet:
    return rows.exclude(request__requester_kind=REPORTER)


REQUEST_RETENTION = "3 years after the request, as proof that it was answered"
ACCOUNTABILITY = "Proof that we answered your privacy requests (GDPR Art. 5(2) accountability)"

data_map.declare(
    Declaration(
        model="rights.DataRequest",
        label=gettext_lazy("Your privacy requests"),
        subject="user",
        description=gettext_lazy(
            "Your privacy requests: what you asked (access, export, correction, deletion, "
            "restriction, objection), when, its deadline and our answer."
        ),
        fields=(
            PersonalField("user", "user.unique_id"),
            PersonalField("contact_email", "user.contact.requester_email"),
            PersonalField("child_identifier", "user.privacy.requests"),
            PersonalField("kind", "user.privacy.requests"),
            PersonalField("status", "user.privacy.requests"),
            PersonalField("details", "user.privacy.requests"),
            PersonalField("received_at", "user.privacy.requests"),
            PersonalField("due_at", "user.privacy.requests"),
            PersonalField("extension_reason", "user.privacy.requests"),
            PersonalField("resolution", "user.privacy.requests"),
            PersonalField("outcome", "user.privacy.requests"),
            PersonalField("completed_at", "user.privacy.requests"),
            PersonalField("assignee", "user.staff.activity"),
            PersonalField("requester_kind", "user.privacy.requests"),
            PersonalField("jurisdiction", "user.privacy.requests"),
            PersonalField("first_due_at", "user.privacy.requests"),
            PersonalField("verified_at", "user.privacy.requests"),
            PersonalField("extended_at", "user.privacy.requests"),
            PersonalField("download_expires_at", "user.privacy.requests"),
            PersonalField("downloaded_at", "user.privacy.requests"),
            PersonalField("extended_by", "user.staff.activity"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(REQUEST_DAYS, anchor="created_at", summary=REQUEST_RETENTION),
        erasure=Erasure.retain(ACCOUNTABILITY),
        # The request's emails go to its contact address and say what was
        # asked, its status and its deadline.
        recipients=("hosting", "email"),
        received=(("email", ("contact_email", "kind", "status", "due_at")),),
        shown_to_subject=_requests_shown,
    )
)

data_map.declare(
    Declaration(
        model="rights.DataRequestEvent",
        label=gettext_lazy("Privacy request history"),
        subject="request__user",
        description=gettext_lazy(
            "The history of each privacy request: status changes and who made them."
        ),
        fields=(
            PersonalField("actor", "user.staff.activity"),
            PersonalField("to_status", "user.privacy.requests"),
            PersonalField("note", "user.privacy.requests"),
            PersonalField("created_at", "user.privacy.requests"),
            PersonalField("from_status", "user.privacy.requests"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(REQUEST_DAYS, anchor="created_at", summary=REQUEST_RETENTION),
        erasure=Erasure.retain(ACCOUNTABILITY),
        shown_to_subject=_request_rows_shown,
    )
)

data_map.declare(
    Declaration(
        model="rights.DataRequestFile",
        label=gettext_lazy("Files for correction requests"),
        subject="request__user",
        description=gettext_lazy("Files you sent to support a correction request (encrypted)."),
        fields=(
            PersonalField("filename", "user.privacy.requests"),
            PersonalField("content", "user.privacy.requests"),
            PersonalField("content_type", "user.privacy.requests"),
            PersonalField("size", "user.privacy.requests"),
            PersonalField("created_at", "user.privacy.requests"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(REQUEST_DAYS, anchor="created_at", summary=REQUEST_RETENTION),
        erasure=Erasure.delete(),
        recipients=("hosting",),
        shown_to_subject=_request_rows_shown,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "rights.DataRequestReminder",
        reason="When a deadline reminder went to staff: a request id, a level and times.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "rights.DataRequest",
        fields=("created_at", "updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "rights.DataRequest",
        fields=("key_subject",),
        reason=KEY_NAME,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "rights.DataRequest",
        fields=("download_token_hash",),
        reason=TOKEN_HASH,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "rights.DataRequestFile",
        fields=("public_id",),
        reason=ROW_BOOKKEEPING,
    )
)
