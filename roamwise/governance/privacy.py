from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    A_LINK,
    ROW_BOOKKEEPING,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

from .confidentiality import (
    accesses_shown,
    disclosures_shown,
    holds_shown,
    legal_request_subjects_shown,
    legal_requests_shown,
)
from .models import AffectedSubject, Disclosure, LegalRequest, LegalRequestSubject


def _disclosures_of(user: object) -> QuerySet[Disclosure]:
    # Disclosures may be pinned to the EU database (RET-08): read where they are.
    from roamwise.kernel.residency import database_for_subject

    public_id = user.public_id  # type: ignore[attr-defined]
    return Disclosure.objects.using(database_for_subject(public_id)).filter(subject_id=public_id)


data_map.declare(
    Declaration(
        model="governance.Disclosure",
        label=gettext_lazy("Data shared with third parties"),
        subject=_disclosures_of,
        description=gettext_lazy(
            "Which third parties received which kinds of your data, when and why."
        ),
        fields=(
            PersonalField("subject_id", "user.unique_id"),
            PersonalField("categories", "user.privacy.staff_access"),
            PersonalField("occurred_at", "user.privacy.staff_access"),
            PersonalField("recipient", "user.privacy.staff_access"),
            PersonalField("purpose", "user.privacy.staff_access"),
            PersonalField("reference", "user.privacy.staff_access"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(6 * 365, anchor="occurred_at", summary="6 years"),
        erasure=Erasure.retain("Accountability: proof of what was shared with whom"),
        shown_to_subject=disclosures_shown,
    )
)

# --- Policy versions, change notices and storage location (POL-01, POL-02, RET-08) ---

data_map.declare_not_personal(
    NotPersonal(
        "governance.PolicyVersion", reason="The published privacy policy texts, the same for all."
    )
)

data_map.declare(
    Declaration(
        model="governance.PolicyAcceptance",
        label=gettext_lazy("Privacy policies you accepted"),
        subject="user",
        description=gettext_lazy("Which versions of the privacy policy you accepted, and when."),
        fields=(
            PersonalField("version", "user.consent"),
            PersonalField("accepted_at", "user.consent"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="governance.PolicyNotice",
        label=gettext_lazy("Privacy policy change notices"),
        subject="user",
        description=gettext_lazy(
            "That we told you about a significant change to the privacy policy."
        ),
        fields=(
            PersonalField("version", "user.account.settings"),
            PersonalField("notified_at", "user.account.settings"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="governance.DataResidency",
        label=gettext_lazy("Where your data is kept"),
        subject="user",
        description=gettext_lazy(
            "The region your data is kept in, where it differs from our main one."
        ),
        fields=(
            PersonalField("region", "user.location.imprecise"),
            PersonalField("assigned_at", "user.location.imprecise"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)


# --- The security organisation (SEC-08) ----------------------------------------------
# Records about staff members in their work, kept for auditors (GDPR Art. 5(2), 32).

SECURITY_RECORD = "Accountability: proof of the security organisation (GDPR Art. 5(2), 32)"
SECURITY_RECORD_RETENTION = Retention.after(
    6 * 365, anchor="updated_at", summary="6 years after the record last changed"
)

data_map.declare(
    Declaration(
        model="governance.SecurityRole",
        label=gettext_lazy("Security roles of staff"),
        subject="holder",
        description=gettext_lazy(
            "Which staff member holds a role of the security organisation, and since when."
        ),
        fields=(
            PersonalField("holder", "user.staff.activity"),
            PersonalField("since", "user.staff.activity"),
        ),
        purposes=("security", "legal"),
        legal_basis="legal_obligation",
        retention=SECURITY_RECORD_RETENTION,
        erasure=Erasure.retain(SECURITY_RECORD),
    )
)

data_map.declare(
    Declaration(
        model="governance.StaffTraining",
        label=gettext_lazy("Staff training"),
        subject="staff",
        description=gettext_lazy(
            "The security and privacy training of a staff member, and when it is due again."
        ),
        fields=(
            PersonalField("staff", "user.staff.activity"),
            PersonalField("course", "user.staff.activity"),
            PersonalField("completed_on", "user.staff.activity"),
            PersonalField("next_due_on", "user.staff.activity"),
        ),
        purposes=("security", "legal"),
        legal_basis="legal_obligation",
        retention=SECURITY_RECORD_RETENTION,
        erasure=Erasure.retain(SECURITY_RECORD),
    )
)

data_map.declare(
    Declaration(
        model="governance.RiskAssessment",
        label=gettext_lazy("Risk reviews by staff"),
        subject="owner",
        description=gettext_lazy(
            "Which staff member reviewed the risk of a processing activity, and when."
        ),
        fields=(
            PersonalField("owner", "user.staff.activity"),
            PersonalField("reviewed_on", "user.staff.activity"),
        ),
        purposes=("security", "legal"),
        legal_basis="legal_obligation",
        retention=SECURITY_RECORD_RETENTION,
        erasure=Erasure.retain(SECURITY_RECORD),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "governance.SecurityRole",
        fields=("title", "responsibilities"),
        reason="The role itself, the same whoever holds it.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "governance.RiskAssessment",
        fields=("processing_activity", "risk_level", "measures", "next_review_on"),
        reason="How risky a processing activity is and what protects it: about no one.",
    )
)

for _model in ("SecurityRole", "StaffTraining", "RiskAssessment"):
    data_map.declare_not_personal(
        NotPersonal(
            f"governance.{_model}",
            fields=("created_at", "updated_at"),
            reason=ROW_BOOKKEEPING,
        )
    )


# --- Legal requests (SHR-05) and breach response (SEC-06) --------------------------

ACCOUNTABILITY_YEARS = 6 * 365
LEGAL_REQUEST_RECORD = "Accountability: proof of what an authority asked and what we disclosed"
BREACH_RECORD = "GDPR Art. 33(5): every personal-data breach is documented"


def _legal_requests_about(user: object) -> QuerySet[LegalRequest]:
    return LegalRequest.objects.filter(
        subjects__subject_id=user.public_id  # type: ignore[attr-defined]
    ).distinct()


def _legal_request_subjects_of(user: object) -> QuerySet[LegalRequestSubject]:
    return LegalRequestSubject.objects.filter(subject_id=user.public_id)  # type: ignore[attr-defined]


def _incidents_of(user: object) -> QuerySet[AffectedSubject]:
    return AffectedSubject.objects.filter(subject_id=user.public_id)  # type: ignore[attr-defined]


data_map.declare(
    Declaration(
        model="governance.LegalRequest",
        label=gettext_lazy("Legal requests"),
        subject=_legal_requests_about,
        description=gettext_lazy(
            "Court orders and authority requests that led us to disclose some of your data: "
            "who asked, on which legal basis, our assessment, and which kinds of data we gave."
        ),
        fields=(
            PersonalField("authority", "user.privacy.legal_request"),
            PersonalField("received_at", "user.privacy.legal_request"),
            PersonalField("legal_basis_cited", "user.privacy.legal_request"),
            PersonalField("scope", "user.privacy.legal_request"),
            PersonalField("decision", "user.privacy.legal_request"),
            PersonalField("disclosed_categories", "user.privacy.legal_request"),
            PersonalField("decided_at", "user.privacy.legal_request"),
            PersonalField("assessed_by", "user.staff.activity"),
            PersonalField("decided_by", "user.staff.activity"),
            PersonalField("kind", "user.privacy.legal_request"),
            PersonalField("authority_reference", "user.privacy.legal_request"),
            PersonalField("confidential_until", "user.privacy.legal_request"),
            PersonalField("confidentiality_basis", "user.privacy.legal_request"),
            PersonalField("status", "user.privacy.legal_request"),
            PersonalField("is_valid", "user.privacy.legal_request"),
            PersonalField("is_proportionate", "user.privacy.legal_request"),
            PersonalField("is_challenged", "user.privacy.legal_request"),
            PersonalField("assessment", "user.privacy.legal_request"),
            PersonalField("assessed_at", "user.privacy.legal_request"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(
            ACCOUNTABILITY_YEARS, anchor="received_at", summary="6 years after the request"
        ),
        erasure=Erasure.retain(LEGAL_REQUEST_RECORD),
        shown_to_subject=legal_requests_shown,
    )
)

data_map.declare(
    Declaration(
        model="governance.LegalRequestSubject",
        label=gettext_lazy("Legal requests about you"),
        subject=_legal_request_subjects_of,
        description=gettext_lazy(
            "That a legal request disclosed some of your data (your customer id only)."
        ),
        fields=(
            PersonalField("subject_id", "user.unique_id"),
            PersonalField("created_at", "user.privacy.legal_request"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(ACCOUNTABILITY_YEARS, summary="6 years after the disclosure"),
        erasure=Erasure.retain(LEGAL_REQUEST_RECORD),
        shown_to_subject=legal_request_subjects_shown,
    )
)

data_map.declare(
    Declaration(
        model="governance.LegalRequestEvent",
        label=gettext_lazy("Legal request decisions"),
        subject="actor",
        description=gettext_lazy(
            "Which staff member assessed or decided each legal request, and when."
        ),
        fields=(
            PersonalField("note", "user.staff.activity"),
            PersonalField("from_status", "user.staff.activity"),
            PersonalField("to_status", "user.staff.activity"),
            PersonalField("created_at", "user.staff.activity"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(ACCOUNTABILITY_YEARS, summary="6 years"),
        erasure=Erasure.retain(LEGAL_REQUEST_RECORD),
    )
)

data_map.declare(
    Declaration(
        model="governance.AffectedSubject",
        label=gettext_lazy("Security incidents that affected you"),
        subject=_incidents_of,
        description=gettext_lazy(
            "Security incidents that affected your data: which kinds of data, how many "
            "records, and when we told you."
        ),
        fields=(
            PersonalField("subject_id", "user.unique_id"),
            PersonalField("categories", "user.privacy.incident"),
            PersonalField("records", "user.privacy.incident"),
            PersonalField("notified_at", "user.privacy.incident"),
        ),
        purposes=("security", "legal"),
        legal_basis="legal_obligation",
        retention=Retention.after(ACCOUNTABILITY_YEARS, summary="6 years after the incident"),
        erasure=Erasure.retain(BREACH_RECORD),
    )
)

data_map.declare(
    Declaration(
        model="governance.IncidentEvent",
        label=gettext_lazy("Incident response steps"),
        subject="actor",
        description=gettext_lazy(
            "Which staff member took each step of an incident's response, and when."
        ),
        fields=(
            PersonalField("note", "user.staff.activity"),
            PersonalField("from_status", "user.staff.activity"),
            PersonalField("to_status", "user.staff.activity"),
            PersonalField("created_at", "user.staff.activity"),
        ),
        purposes=("security", "legal"),
        legal_basis="legal_obligation",
        retention=Retention.after(ACCOUNTABILITY_YEARS, summary="6 years"),
        erasure=Erasure.retain(BREACH_RECORD),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        model="governance.IncidentReminder",
        reason="When a regulator-deadline reminder went to staff: an incident id, a level, times.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        model="governance.Incident",
        reason=(
            "What a breach was and what we did, written for the regulator; whom it "
            "affected is in governance.AffectedSubject, by public id."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "governance.AffectedSubject",
        fields=("incident",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "governance.AffectedSubject",
        fields=("created_at",),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "governance.IncidentEvent",
        fields=("incident",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "governance.LegalRequest",
        fields=("public_id", "created_at", "updated_at"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "governance.LegalRequestEvent",
        fields=("request",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "governance.LegalRequestSubject",
        fields=("request",),
        reason=A_LINK,
    )
)

# The traces a confidential legal request leaves in lower apps' tables: the
# staff access written when data was packaged for the authority, and the legal
# holds it placed. Those apps sit below governance, so it adds the filters.
data_map.hide_from_subject("audit.AccessEvent", accesses_shown)
data_map.hide_from_subject("retention.LegalHold", holds_shown)
