"""Back-office forms for legal requests (SHR-05) and incidents (SEC-06).

They parse and check input; the services in ``legal_requests`` and
``incidents`` decide.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from roamwise.datamap.registry import data_map
from roamwise.datamap.vocabulary import CATEGORIES

from .models import LegalRequest

YES_NO = (("yes", "Yes"), ("no", "No"))


def category_choices() -> list[tuple[str, str]]:
    return [(code, f"{label} ({code})") for code, label in CATEGORIES.items()]


def model_choices() -> list[tuple[str, str]]:
    return [(d.model, d.model) for d in data_map]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class LegalRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=LegalRequest.Kind.choices)
    authority = forms.CharField(max_length=200, help_text="The court or authority asking.")
    authority_reference = forms.CharField(
        max_length=100, required=False, help_text="Their case or file number."
    )
    received_at = forms.DateTimeField(widget=DateTimeInput())
    legal_basis_cited = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The law or order relied on."
    )
    scope = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="What is asked for, in their words."
    )
    confidential_until = forms.DateTimeField(
        widget=DateTimeInput(),
        required=False,
        label="Do not tell the customer until",
        help_text="When the order forbids telling the customer. Until then the request, "
        "its disclosure and holds stay out of their privacy center and export.",
    )
    confidentiality_basis = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="What forbids telling the customer",
        help_text="The order or law, e.g. the clause of the court order.",
    )


class ConfidentialityForm(forms.Form):
    confidential_until = forms.DateTimeField(
        widget=DateTimeInput(),
        required=False,
        label="Do not tell the customer until",
        help_text="Blank lifts the bar now.",
    )
    confidentiality_basis = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="What forbids telling the customer",
    )


class AssessmentForm(forms.Form):
    valid = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="Is the request valid?",
        help_text="Issued by a competent authority, on a legal basis that applies to us.",
    )
    proportionate = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Is it proportionate?"
    )
    challenged = forms.BooleanField(required=False, label="We challenged the request")
    assessment = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))


class SubjectIdsField(forms.CharField):
    """Customer public ids, one a line (or separated by commas or spaces)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value: Any) -> list[uuid.UUID]:  # type: ignore[override]
        text = super().to_python(value) or ""
        ids: list[uuid.UUID] = []
        for token in text.replace(",", " ").split():
            try:
                ids.append(uuid.UUID(token))
            except ValueError:
                raise forms.ValidationError(f"{token!r} is not a customer id.") from None
        return ids


class DisclosureForm(forms.Form):
    categories = forms.MultipleChoiceField(
        choices=category_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only what the request lawfully requires.",
    )
    subject_ids = SubjectIdsField(label="Customer ids", help_text="One customer id a line.")
    place_hold = forms.BooleanField(
        required=False,
        initial=True,
        label="Place a legal hold on these customers' records holding these categories",
    )
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Decision")


class RefusalForm(forms.Form):
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why we refuse")


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200)
    detected_at = forms.DateTimeField(
        widget=DateTimeInput(), help_text="When we became aware: the 72 hours run from here."
    )
    reported_by = forms.CharField(max_length=200)
    categories = forms.MultipleChoiceField(
        choices=category_choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The nature of the breach; the regulator and affected customers read it.",
    )
    systems = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    containment_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Measures taken or proposed",
    )
    consequences = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Likely consequences",
        help_text="Leave blank to draft them from the categories.",
    )
    window_start = forms.DateTimeField(widget=DateTimeInput(), required=False)
    window_end = forms.DateTimeField(widget=DateTimeInput(), required=False)
    scan_models = forms.MultipleChoiceField(
        choices=model_choices,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        required=False,
        label="Only these records",
        help_text="Leave empty to search every record of the data map.",
    )


class NoticeForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 24, "cols": 100}), label="Notice")
