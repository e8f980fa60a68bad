"""Breach response (SEC-06): the incident record, the customers it affected
(found from the data map), the 72-hour regulator deadline, the regulator's
notice, and the notice to each affected customer.

The affected customers are not a hand-made list: given the categories an
incident touched (and optionally a time window and some models), every
declaration holding one of those categories is walked and the subjects of its
rows collected. A declaration with a subject path costs one grouped query; one
whose subject is a function (rows found another way) is asked customer by
customer, which is slower but exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.core import states
from roamwise.core.errors import DomainError
from roamwise.core.tasks import enqueue_on_commit
from roamwise.datamap.registry import SELF, Declaration, data_map
from roamwise.datamap.vocabulary import CATEGORIES
from roamwise.notifications.rendering import render_text
from roamwise.notifications.services import notify, notify_address

from .contact import privacy_contact
from .legal_requests import in_categories
from .models import (
    REGULATOR_REMINDER_HOURS,
    AffectedSubject,
    Incident,
    IncidentEvent,
    IncidentReminder,
    IncidentStatus,
)
from .tasks import incident_find_affected as incident_find_affected_task
from .tasks import incident_notify_customers as incident_notify_customers_task

# A service message (USE-03): it goes whatever the customer's marketing choices.
NOTIFICATION_KIND = "security"
NOTIFICATION_TEMPLATE = "governance/email/incident"
NOTIFY_BATCH = 200
WRITE_CHUNK = 1000

# What a breach of each kind of data may lead to, and what a customer can do.
# The first matching prefix wins; order from specific to general.
CONSEQUENCES: tuple[tuple[str, str, str], ...] = (
    (
        "user.authorization",
        "Attempts to take over accounts with the exposed sign-in secrets "
        "(passwords are stored as Argon2id hashes, second-factor seeds encrypted).",
        "Change your password, and anywhere else you used the same one; turn on "
        "two-factor authentication.",
    ),
    (
        "user.financial",
        "Attempted payment fraud or convincing fake payment messages (we never hold "
        "full card numbers: only the processor's reference, card brand and last four digits).",
        "Watch your card statements and tell your bank about payments you do not recognise.",
    ),
    (
        "user.device.sim",
        "Misuse of eSIM activation codes to install a profile on another device.",
        "Check in your account that your eSIMs are installed only on your devices; "
        "contact us to have a profile replaced.",
    ),
    (
        "user.contact",
        "Phishing, spam or scam messages and calls that use the exposed contact details.",
        "Be wary of messages that claim to come from us; we never ask for your password.",
    ),
    (
        "user.name",
        "Identity fraud and more convincing phishing using your name.",
        "Be wary of messages that use your name to ask for money or passwords.",
    ),
    (
        "user.demographic",
        "Identity fraud combining your date of birth with other details.",
        "Be wary of anyone asking you to confirm personal details.",
    ),
    (
        "user.location",
        "Disclosure of where you travelled and when.",
        "No action is needed; tell us if you have concerns for your safety.",
    ),
    (
        "user.network",
        "Disclosure of when and where you used mobile data.",
        "No action is needed; tell us if you have concerns for your safety.",
    ),
    (
        "user.content",
        "Disclosure of what you wrote to our support team.",
        "Tell us if your messages held information you are worried about.",
    ),
)
DEFAULT_CONSEQUENCE = "Loss of confidentiality of the data concerned."


class InvalidIncident(DomainError):
    code = "invalid_incident"


# --- The affected-subjects query -----------------------------------------------------


@dataclass
class SubjectHit:
    categories: set[str] = field(default_factory=set)
    records: int = 0


@dataclass(frozen=True)
class DeclarationHit:
    model: str
    categories: tuple[str, ...]
    subjects: int
    records: int
    # The timestamp a window was applied to; "" when the model has none and
    # all its rows count (the cautious reading).
    time_field: str


@dataclass(frozen=True)
class AffectedScan:
    categories: tuple[str, ...]
    subjects: dict[uuid.UUID, SubjectHit]
    declarations: tuple[DeclarationHit, ...]

    @property
    def subject_count(self) -> int:
        return len(self.subjects)

    @property
    def record_count(self) -> int:
        return sum(hit.records for hit in self.subjects.values())


def category_known(category: str) -> bool:
    """A category of the vocabulary, or a parent of some (``user.contact``)."""
    return category in CATEGORIES or any(c.startswith(category + ".") for c in CATEGORIES)


def _time_field(declaration: Declaration) -> str:
    """The timestamp that says when a row came to be: ``created_at``, else the
    declared retention anchor; "" when the model has neither."""
    model = declaration.model_class
    for name in ("created_at", declaration.retention.anchor):
        if not name:
            continue
        try:
            candidate = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(candidate, models.DateTimeField | models.DateField):
            return name
    return ""


def _window(time_field: str, since: datetime | None, until: datetime | None) -> Q:
    if not time_field:
        return Q()
    window = Q()
    if since is not None:
        window &= Q(**{f"{time_field}__gte": since})
    if until is not None:
        window &= Q(**{f"{time_field}__lte": until})
    return window


def affected_subjects_find(
    *,
    categories: Iterable[str],
    since: datetime | None = None,
    until: datetime | None = None,
    models_only: Sequence[str] = (),
) -> AffectedScan:
    """Every subject with a record holding one of ``categories`` (or a category
    below one), from the data map's declarations; optionally only rows made in
    [since, until] and only the given models ("app_label.Model")."""
    chosen = tuple(sorted(set(categories)))
    unknown = [c for c in chosen if not category_known(c)]
    if unknown:
        raise InvalidIncident(
            gettext("Unknown data categories: %(join)s.") % {"join": ", ".join(unknown)}
        )
    only = {m.lower() for m in models_only}
    subjects: dict[uuid.UUID, SubjectHit] = {}
    hits: list[DeclarationHit] = []
    for declaration in data_map:
        if only and declaration.model.lower() not in only:
            continue
        matched = tuple(
            sorted({f.category for f in declaration.fields if in_categories(f.category, chosen)})
        )
        if not matched:
            continue
        time_field = _time_field(declaration)
        window = _window(time_field, since, until) if (since or until) else Q()
        counts = _counts(declaration, window)
        for subject_id, n in counts.items():
            hit = subjects.setdefault(subject_id, SubjectHit())
            hit.categories.update(matched)
            hit.records += n
        hits.append(
            DeclarationHit(
                model=declaration.model,
                categories=matched,
                subjects=len(counts),
                records=sum(counts.values()),
                time_field=time_field if (since or until) else "",
            )
        )
    return AffectedScan(categories=chosen, subjects=subjects, declarations=tuple(hits))


def _counts(declaration: Declaration, window: Q) -> dict[uuid.UUID, int]:
    """Rows per subject public id, for one declaration."""
    counts: dict[uuid.UUID, int] = {}
    if isinstance(declaration.subject, str):
        path = "public_id" if declaration.subject == SELF else f"{declaration.subject}__public_id"
        rows = (
            declaration.model_class._default_manager.filter(window)
            .filter(**{f"{path}__isnull": False})
            .values(path)
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            counts[row[path]] = row["n"]
        return counts
    # Rows reached by a function of the subject: ask for each subject.
    for user in User.objects.order_by("pk").iterator(chunk_size=500):
        n = declaration.rows_of(user).filter(window).count()
        if n:
            counts[user.public_id] = n
    return counts


# --- Deadline, notice, consequences --------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    # Negative once the deadline has passed.
    remaining: timedelta
    notified_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.notified_at is None and self.remaining <= timedelta(0)

    @property
    def met(self) -> bool:
        return self.notified_at is not None and self.notified_at <= self.due_at

    @property
    def label(self) -> str:
        if self.notified_at is not None:
            if self.met:
                return "Regulator notified in time"
            return f"Regulator notified {duration_label(self.notified_at - self.due_at)} late"
        if self.overdue:
            return f"Overdue by {duration_label(-self.remaining)}"
        return f"{duration_label(self.remaining)} left"


def duration_label(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def incident_deadline(*, incident: Incident, now: datetime | None = None) -> Deadline:
    """The 72-hour regulator deadline (GDPR Art. 33(1)) and how much of it is left."""
    now = now or timezone.now()
    due = incident.regulator_deadline
    return Deadline(due_at=due, remaining=due - now, notified_at=incident.regulator_notified_at)


def consequences_for(categories: Iterable[str]) -> list[tuple[str, str]]:
    """(likely consequence, advice to the customer) for each kind of data, once."""
    found: list[tuple[str, str]] = []
    for category in sorted(set(categories)):
        entry = next(
            ((c, a) for prefix, c, a in CONSEQUENCES if in_categories(category, [prefix])),
            (DEFAULT_CONSEQUENCE, ""),
        )
        if entry not in found:
            found.append(entry)
    return found


def category_label(category: str) -> str:
    if category in CATEGORIES:
        return CATEGORIES[category]
    below = [label for code, label in CATEGORIES.items() if code.startswith(category + ".")]
    return ", ".join(below) if below else category


def incident_notice_draft(*, incident: Incident, now: datetime | None = None) -> str:
    """The regulator's notice (GDPR Art. 33(3)), drafted from the record for staff to edit."""
    now = now or timezone.now()
    consequences = (
        [incident.consequences.strip()]
        if incident.consequences.strip()
        else [c for c, _ in consequences_for(incident.categories)]
    )
    context = {
        "incident": incident,
        "site_name": settings.SITE_NAME,
        "authority": settings.SUPERVISORY_AUTHORITY_NAME,
        "contact": privacy_contact(),
        "categories": [category_label(c) for c in incident.categories],
        "scanned": incident.affected_scanned_at is not None,
        "consequences": consequences,
        "late": now > incident.regulator_deadline,
        "deadline": incident.regulator_deadline,
    }
    return render_text("governance/regulator_notice.txt", context).strip() + "\n"


# --- Services ------------------------------------------------------------------------


def _event(incident: Incident, actor: User | None, note: str, old: str = "", new: str = "") -> None:
    IncidentEvent.objects.create(
        incident=incident, actor=actor, from_status=old, to_status=new, note=note[:300]
    )


def _incident_fields(
    *,
    title: str,
    detected_at: datetime,
    reported_by: str,
    categories: Iterable[str],
    description: str,
    systems: str,
    containment_notes: str,
    consequences: str,
    window_start: datetime | None,
    window_end: datetime | None,
    scan_models: Sequence[str],
    now: datetime,
) -> dict[str, Any]:
    chosen = sorted(set(categories))
    if not chosen:
        raise InvalidIncident(gettext("Choose at least one category of data affected."))
    unknown = [c for c in chosen if not category_known(c)]
    if unknown:
        raise InvalidIncident(
            gettext("Unknown data categories: %(join)s.") % {"join": ", ".join(unknown)}
        )
    declared = {d.model.lower(): d.model for d in data_map}
    models_chosen = []
    for name in scan_models:
        if name.lower() not in declared:
            raise InvalidIncident(gettext("%(name)s is not in the data map.") % {"name": name})
        models_chosen.append(declared[name.lower()])
    if detected_at > now + timedelta(minutes=5):
        raise InvalidIncident(gettext("An incident cannot be detected in the future."))
    if window_start and window_end and window_start > window_end:
        raise InvalidIncident(gettext("The window must start before it ends."))
    if not title.strip() or len(title) > 200:
        raise InvalidIncident(gettext("Give a title of up to 200 characters."))
    if not reported_by.strip() or len(reported_by) > 200:
        raise InvalidIncident(gettext("Say who reported it, in up to 200 characters."))
    if not description.strip():
        raise InvalidIncident(gettext("Describe the nature of the breach."))
    return {
        "title": title.strip(),
        "detected_at": detected_at,
        "reported_by": reported_by.strip(),
        "categories": chosen,
        "description": description.strip(),
        "systems": systems.strip(),
        "containment_notes": containment_notes.strip(),
        "consequences": consequences.strip(),
        "window_start": window_start,
        "window_end": window_end,
        "scan_models": sorted(models_chosen),
    }


def incident_create(
    *,
    actor: User,
    title: str,
    detected_at: datetime,
    reported_by: str,
    categories: Iterable[str],
    description: str,
    systems: str = "",
    containment_notes: str = "",
    consequences: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    scan_models: Sequence[str] = (),
    now: datetime | None = None,
) -> Incident:
    values = _incident_fields(
        title=title,
        detected_at=detected_at,
        reported_by=reported_by,
        categories=categories,
        description=description,
        systems=systems,
        containment_notes=containment_notes,
        consequences=consequences,
        window_start=window_start,
        window_end=window_end,
        scan_models=scan_models,
        now=now or timezone.now(),
    )
    with transaction.atomic():
        incident = Incident.objects.create(**values)
        _event(incident, actor, "recorded", new=IncidentStatus.OPEN)
    return incident


def incident_update(
    *,
    incident: Incident,
    actor: User,
    title: str,
    detected_at: datetime,
    reported_by: str,
    categories: Iterable[str],
    description: str,
    systems: str = "",
    containment_notes: str = "",
    consequences: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    scan_models: Sequence[str] = (),
    now: datetime | None = None,
) -> Incident:
    """Correct or complete the record as the investigation learns more."""
    if incident.status == IncidentStatus.CLOSED:
        raise InvalidIncident(gettext("A closed incident is kept as it was closed."))
    values = _incident_fields(
        title=title,
        detected_at=detected_at,
        reported_by=reported_by,
        categories=categories,
        description=description,
        systems=systems,
        containment_notes=containment_notes,
        consequences=consequences,
        window_start=window_start,
        window_end=window_end,
        scan_models=scan_models,
        now=now or timezone.now(),
    )
    changed = sorted(name for name, value in values.items() if getattr(incident, name) != value)
    if not changed:
        return incident
    with transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now(), **values)
        _event(incident, actor, f"changed {', '.join(changed)}")
    incident.refresh_from_db()
    return incident


def incident_transition(
    *, incident: Incident, to_status: str, actor: User, note: str = ""
) -> Incident:
    """Move the incident on (roamwise.core.states.move: raises if it moved meanwhile)."""
    states.move(incident, to_status, actor=actor, note=note or to_status)
    return incident


def incident_affected_scan(
    *, incident_id: int, actor: User | None = None, now: datetime | None = None
) -> AffectedScan:
    """Find the affected customers from the data map and record them.

    Safe to run again as the record is corrected: customers no longer found are
    removed unless already told; those told stay listed.
    """
    now = now or timezone.now()
    incident = Incident.objects.get(pk=incident_id)
    scan = affected_subjects_find(
        categories=incident.categories,
        since=incident.window_start,
        until=incident.window_end,
        models_only=incident.scan_models,
    )
    with transaction.atomic():
        existing = dict(
            AffectedSubject.objects.filter(incident=incident).values_list("subject_id", "pk")
        )
        gone = [pk for subject_id, pk in existing.items() if subject_id not in scan.subjects]
        for start in range(0, len(gone), WRITE_CHUNK):
            AffectedSubject.objects.filter(
                pk__in=gone[start : start + WRITE_CHUNK], notified_at__isnull=True
            ).delete()
        rows = [
            AffectedSubject(
                pk=existing.get(subject_id),
                incident=incident,
                subject_id=subject_id,
                categories=sorted(hit.categories),
                records=hit.records,
                created_at=now,
            )
            for subject_id, hit in scan.subjects.items()
        ]
        AffectedSubject.objects.bulk_create(
            [row for row in rows if row.pk is None], batch_size=WRITE_CHUNK
        )
        AffectedSubject.objects.bulk_update(
            [row for row in rows if row.pk is not None],
            ["categories", "records"],
            batch_size=WRITE_CHUNK,
        )
        listed = AffectedSubject.objects.filter(incident=incident)
        Incident.objects.filter(pk=incident.pk).update(
            affected_scanned_at=now,
            affected_subjects_count=listed.count(),
            affected_records_count=listed.aggregate(n=Sum("records"))["n"] or 0,
            updated_at=now,
        )
        _event(
            incident,
            actor,
            f"affected customers found from the data map: {scan.subject_count} customers, "
            f"{scan.record_count} records",
        )
    return scan


def incident_affected_scan_request(*, incident: Incident, actor: User) -> None:
    """Run the scan in the background: on a large customer base it takes a while."""
    enqueue_on_commit(incident_find_affected_task, incident.pk, actor.pk)


def incident_notice_save(*, incident: Incident, actor: User, text: str) -> Incident:
    text = (text or "").strip()
    if not text:
        raise InvalidIncident(gettext("The notice is empty."))
    if len(text) > 50_000:
        raise InvalidIncident(gettext("The notice is at most 50,000 characters."))
    with transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(
            regulator_notice=text + "\n", updated_at=timezone.now()
        )
        _event(incident, actor, "regulator notice saved")
    incident.refresh_from_db()
    return incident


def incident_regulator_notified(
    *, incident: Incident, actor: User, at: datetime | None = None
) -> Incident:
    """Record that the notice went to the supervisory authority (once)."""
    at = at or timezone.now()
    incident.refresh_from_db()
    if not incident.regulator_notice.strip():
        raise InvalidIncident(gettext("Save the notice sent to the regulator first."))
    if at < incident.detected_at:
        raise InvalidIncident(
            gettext("The regulator cannot be notified before the incident was detected.")
        )
    with transaction.atomic():
        if (
            Incident.objects.filter(pk=incident.pk, regulator_notified_at__isnull=True).update(
                regulator_notified_at=at, updated_at=timezone.now()
            )
            != 1
        ):
            raise InvalidIncident(gettext("The regulator's notification is already recorded."))
        _event(incident, actor, f"regulator notified ({settings.SUPERVISORY_AUTHORITY_NAME})")
    incident.refresh_from_db()
    return incident


def incident_customers_notify(
    *, incident: Incident, actor: User, now: datetime | None = None
) -> int:
    """Tell every affected customer not told yet, in the background.

    Returns how many are waiting. Running it again tells only those not told
    (customers found by a later scan, or a batch that failed).
    """
    incident.refresh_from_db()
    if incident.affected_scanned_at is None:
        raise InvalidIncident(gettext("Find the affected customers first."))
    pending = AffectedSubject.objects.filter(incident=incident, notified_at__isnull=True).count()
    if not pending:
        raise InvalidIncident(gettext("Every affected customer has been told."))
    with transaction.atomic():
        Incident.objects.filter(pk=incident.pk, customers_notified_at__isnull=True).update(
            customers_notified_at=now or timezone.now()
        )
        _event(incident, actor, f"notice to {pending} affected customers queued")
        enqueue_on_commit(incident_notify_customers_task, incident.pk)
    incident.refresh_from_db()
    return pending


def affected_pending_ids(*, incident_id: int) -> list[int]:
    return list(
        AffectedSubject.objects.filter(incident_id=incident_id, notified_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


class _NothingSent(Exception):
    pass


def incident_notify_batch(
    *, incident_id: int, affected_ids: Sequence[int], now: datetime | None = None
) -> int:
    """Tell each of these affected customers, once: the row is claimed and the
    message recorded in one transaction, so a re-run or a second worker skips
    whoever was told."""
    now = now or timezone.now()
    incident = Incident.objects.get(pk=incident_id)
    rows = AffectedSubject.objects.filter(
        incident=incident, pk__in=list(affected_ids), notified_at__isnull=True
    ).order_by("pk")
    told = 0
    for row in rows:
        user = User.objects.filter(public_id=row.subject_id).first()
        if user is None:  # erased since the scan: there is no one to tell
            continue
        try:
            with transaction.atomic():
                if not AffectedSubject.objects.filter(pk=row.pk, notified_at__isnull=True).update(
                    notified_at=now
                ):
                    continue
                sent = notify(
                    user=user,
                    kind=NOTIFICATION_KIND,
                    template=NOTIFICATION_TEMPLATE,
                    context=_customer_context(incident, row),
                )
                if sent is None:
                    raise _NothingSent
                Incident.objects.filter(pk=incident.pk).update(
                    customers_notified_count=F("customers_notified_count") + 1
                )
        except _NothingSent:
            continue
        told += 1
    return told


def _customer_context(incident: Incident, row: AffectedSubject) -> dict[str, Any]:
    return {
        "incident": incident,
        "categories": [category_label(c) for c in row.categories],
        "consequences": consequences_for(row.categories),
        "contact": privacy_contact(),
        "authority": settings.SUPERVISORY_AUTHORITY_NAME,
        "authority_url": settings.SUPERVISORY_AUTHORITY_URL,
        "link": settings.SITE_URL + reverse("accounts:settings"),
    }


# --- Reads ---------------------------------------------------------------------------


# --- Reminders of the regulator deadline (SEC-06) -------------------------------------


def incident_owner(*, incident: Incident) -> User | None:
    """Who owns the response: the staff member who recorded the incident."""
    first = incident.events.filter(note="recorded").select_related("actor").first()
    return first.actor if first is not None else None


def _levels_due(incident: Incident, now: datetime) -> list[int]:
    due_at = incident.regulator_deadline
    sent = set(
        IncidentReminder.objects.filter(incident=incident, due_at=due_at).values_list(
            "hours_before", flat=True
        )
    )
    return [
        hours
        for hours in REGULATOR_REMINDER_HOURS
        if hours not in sent and now >= due_at - timedelta(hours=hours)
    ]


def _reminder_context(incident: Incident, now: datetime) -> dict[str, str]:
    left = incident_deadline(incident=incident, now=now)
    link = settings.SITE_URL + reverse("admin:governance_incident_change", args=[incident.pk])
    return {
        "title": f"Incident {incident.reference}: regulator notice due, {left.label.lower()}",
        "message": (
            f"The notice to {settings.SUPERVISORY_AUTHORITY_NAME} about incident "
            f"{incident.reference} is due by {incident.regulator_deadline:%Y-%m-%d %H:%M} UTC "
            "(72 hours after we became aware, GDPR Art. 33(1)) and is not marked sent. "
            "Send it, with what is known so far, and mark it sent.\n\n" + link
        ),
    }


def incident_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the incident's owner and the privacy officer 48, 24 and 6 hours
    before the regulator deadline while the notice is not marked sent (SEC-06).

    Each level is sent once per deadline, however often this runs: the
    reminder rows are written with the messages, in one transaction, and a
    second worker's rows collide with the first's. Levels that fell due
    together (an incident recorded late) make one message. Returns how many
    incidents were reminded."""
    moment = now or timezone.now()
    reminded = 0
    pending = incidents_open().filter(regulator_notified_at__isnull=True).order_by("pk")
    for incident in pending:
        levels = _levels_due(incident, moment)
        if not levels:
            continue
        context = _reminder_context(incident, moment)
        owner = incident_owner(incident=incident)
        try:
            with transaction.atomic():
                IncidentReminder.objects.bulk_create(
                    IncidentReminder(
                        incident=incident,
                        hours_before=hours,
                        due_at=incident.regulator_deadline,
                        sent_at=moment,
                    )
                    for hours in levels
                )
                _event(incident, None, f"reminder: {context['title']}")
                if owner is not None and owner.is_active and owner.email:
                    notify(
                        user=owner,
                        kind="staff_alert",
                        template="notifications/email/staff_alert",
                        context=context,
                    )
                notify_address(
                    to=settings.PRIVACY_EMAIL,
                    kind="staff_alert",
                    template="notifications/email/staff_alert",
                    context=context,
                )
        except IntegrityError:
            continue  # another worker sent it
        reminded += 1
    return reminded


def incidents_open() -> models.QuerySet[Incident]:
    return Incident.objects.exclude(status=IncidentStatus.CLOSED)


def affected_of(*, incident: Incident) -> models.QuerySet[AffectedSubject]:
    return AffectedSubject.objects.filter(incident=incident).order_by("pk")
