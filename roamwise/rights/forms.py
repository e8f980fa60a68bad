from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from . import deadlines
from .evidence import Upload
from .models import RequestKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def uploads_from(files: list[UploadedFile]) -> list[Upload]:
    """Read at most the limit + 1 bytes of each file: enough to refuse one that is too big."""
    limit = settings.RIGHTS_EVIDENCE_MAX_BYTES
    return [
        Upload(
            filename=f.name or "evidence",
            content_type=f.content_type or "",
            content=f.read(limit + 1),
        )
        for f in files
    ]


class CorrectionForm(forms.Form):
    fields_to_correct = forms.MultipleChoiceField(
        label=gettext_lazy("What is wrong (choose any)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    details = forms.CharField(
        label=gettext_lazy("What is wrong, and what it should be"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    evidence = MultipleFileField(
        label=gettext_lazy("Supporting files (optional)"),
        required=False,
        help_text=gettext_lazy(
            "Up to 3 files: PNG, JPEG, PDF or plain text, 5 MB each. Stored encrypted."
        ),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["fields_to_correct"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices


class NameForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)


class PublicRequestForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your email address"),
        help_text=gettext_lazy("We send a link to it: your request is accepted once you open it."),
    )
    relationship = forms.ChoiceField(
        label=gettext_lazy("The request is about"),
        choices=[("self", "Me"), ("parent", "My child (I am their parent or guardian)")],
        widget=forms.RadioSelect,
        initial="self",
    )
    kind = forms.ChoiceField(label=gettext_lazy("What you ask"), choices=RequestKind.choices)
    child_identifier = forms.CharField(
        label=gettext_lazy("Your child's username or email address (parents only)"),
        max_length=254,
        required=False,
    )
    details = forms.CharField(
        label=gettext_lazy("Anything that helps us find and answer it (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    jurisdiction = forms.ChoiceField(label=gettext_lazy("Where you live"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["jurisdiction"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = deadlines.jurisdictions()
        field.initial = deadlines.default()


class ChildReportForm(forms.Form):
    """Anyone can report an account they think belongs to a child under 13 (CHD-04)."""

    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We tell you at this address what we did."),
    )
    child_identifier = forms.CharField(
        label=_("The account's username or email address"), max_length=254
    )
    details = forms.CharField(
        label=_("Why you think its holder is under 13 (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    jurisdiction = forms.ChoiceField(label=_("Where you live"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["jurisdiction"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = deadlines.jurisdictions()
        field.initial = deadlines.default()
