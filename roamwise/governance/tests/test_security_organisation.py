"""The security organisation on record (SEC-08): the security role and who
holds it, staff training and risk assessments, with their dates, kept in the
back office by the security officer, readable by auditors, every change in
the hash-chained audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.audit.selectors import verify_chain
from roamwise.governance.models import RiskAssessment, SecurityRole, StaffTraining
from roamwise.testing.people import staff_client

pytestmark = [pytest.mark.django_db]


def events_of(record: object) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(
            object_type=record._meta.label,  # type: ignore[attr-defined]
            object_id=str(record.pk),  # type: ignore[attr-defined]
        ).order_by("id")
    )


@pytest.mark.commitment("SEC-08")
def test_the_security_officer_records_the_role_training_and_risk_all_audited() -> None:
    client, officer = staff_client(roles.SECURITY_OFFICER, "sec_officer")
    _, engineer = staff_client(roles.SUPPORT_AGENT, "sec_engineer")

    answer = client.post(
        "/admin/governance/securityrole/add/",
        {
            "title": "Information security officer",
            "responsibilities": "Security policy, incident response, staff training.",
            "holder": engineer.pk,
            "since": "2026-01-05",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    role = SecurityRole.objects.get()
    assert (role.holder, role.since) == (engineer, date(2026, 1, 5))

    client.post(
        "/admin/governance/stafftraining/add/",
        {
            "staff": engineer.pk,
            "course": "Secure handling of personal data",
            "completed_on": "2026-02-10",
            "next_due_on": "2027-02-10",
        },
    )
    training = StaffTraining.objects.get()
    assert (training.completed_on, training.next_due_on) == (date(2026, 2, 10), date(2027, 2, 10))

    client.post(
        "/admin/governance/riskassessment/add/",
        {
            "processing_activity": "eSIM provisioning through the SM-DP+",
            "risk_level": "medium",
            "measures": "Mutual TLS, encrypted ICCID and EID, access by role only.",
            "owner": officer.pk,
            "reviewed_on": "2026-03-01",
            "next_review_on": "2026-09-01",
        },
    )
    risk = RiskAssessment.objects.get()
    assert (risk.risk_level, risk.reviewed_on) == ("medium", date(2026, 3, 1))

    # A change: the new holder takes over; the trail names the fields changed.
    # Like any record about a person, it opens with a reason (SEC-04).
    _, successor = staff_client(roles.BILLING, "sec_successor")
    change_url = f"/admin/governance/securityrole/{role.pk}/change/"
    assert 'name="_audit_reason"' in client.get(change_url).content.decode()
    client.post(change_url, {"_audit_reason": "SEC-2026-04 handover of the role"})
    answer = client.post(
        f"/admin/governance/securityrole/{role.pk}/change/",
        {
            "title": "Information security officer",
            "responsibilities": "Security policy, incident response, staff training.",
            "holder": successor.pk,
            "since": "2026-04-01",
        },
    )
    assert answer.status_code == 302
    client.post(f"/admin/governance/stafftraining/{training.pk}/delete/", {"post": "yes"})

    assert not StaffTraining.objects.exists()
    role_events = events_of(role)
    assert [(e.action, e.actor_id, e.actor_role) for e in role_events] == [
        ("create", officer.pk, roles.SECURITY_OFFICER),
        ("view", officer.pk, roles.SECURITY_OFFICER),
        ("change", officer.pk, roles.SECURITY_OFFICER),
    ]
    assert [e.subject_id for e in role_events] == [
        engineer.public_id,
        engineer.public_id,
        successor.public_id,
    ]
    assert role_events[2].fields == ["holder", "since"]
    assert role_events[2].reason == "SEC-2026-04 handover of the role"
    assert [e.action for e in events_of(risk)] == ["create"]
    training_events = AccessEvent.objects.filter(object_type="governance.StaffTraining")
    assert [e.action for e in training_events.order_by("id")] == ["create", "delete"]
    assert list(verify_chain()) == []
    # The records are part of the data map, so start-up keeps them complete.
    call_command("check", "--tag", "datamap")


@pytest.mark.commitment("SEC-08")
def test_auditors_read_the_records_and_only_the_security_officer_changes_them() -> None:
    officer_client, officer = staff_client(roles.SECURITY_OFFICER, "sec_officer2")
    auditor, _ = staff_client(roles.PRIVACY_OFFICER, "sec_auditor")
    agent, _ = staff_client(roles.SUPPORT_AGENT, "sec_agent")
    role = SecurityRole.objects.create(
        title="Information security officer", holder=officer, since=date(2026, 1, 1)
    )

    page = auditor.get("/admin/governance/securityrole/")
    assert page.status_code == 200 and "Information security officer" in page.content.decode()
    opened = auditor.post(
        f"/admin/governance/securityrole/{role.pk}/change/", {"_audit_reason": "annual audit"}
    )
    assert opened.status_code == 302
    page = auditor.get(f"/admin/governance/securityrole/{role.pk}/change/")
    assert page.status_code == 200 and "Information security officer" in page.content.decode()
    assert auditor.get("/admin/governance/securityrole/add/").status_code == 403
    refused = auditor.post(
        f"/admin/governance/securityrole/{role.pk}/change/",
        {"title": "Changed", "holder": officer.pk, "since": "2026-01-01"},
    )
    assert refused.status_code == 403
    assert agent.get("/admin/governance/securityrole/").status_code == 403
    assert agent.get("/admin/governance/riskassessment/").status_code == 403
    assert officer_client.get("/admin/governance/riskassessment/add/").status_code == 200

    role.refresh_from_db()
    assert role.title == "Information security officer"
    # The auditor's reading is on record; no change is.
    assert [e.action for e in events_of(role)] == ["view"]


@pytest.mark.commitment("SEC-08")
def test_training_cannot_fall_due_before_it_was_completed() -> None:
    client, officer = staff_client(roles.SECURITY_OFFICER, "sec_officer3")

    answer = client.post(
        "/admin/governance/stafftraining/add/",
        {
            "staff": officer.pk,
            "course": "Phishing awareness",
            "completed_on": "2026-02-10",
            "next_due_on": "2026-01-10",
        },
    )

    assert answer.status_code == 200  # the form again, with the error
    assert not StaffTraining.objects.exists()
    assert not AccessEvent.objects.filter(object_type="governance.StaffTraining").exists()
