from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy

from .attachments import Upload
from .models import Category


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


def uploads_from(files: list[UploadedFile], limit: int) -> list[Upload]:
    """Read at most ``limit`` + 1 bytes of each file: enough to refuse one that is too big."""
    return [
        Upload(
            filename=f.name or "attachment",
            content_type=f.content_type or "",
            content=f.read(limit + 1),
        )
        for f in files
    ]


class TicketForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices)
    title = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    order = forms.ChoiceField(label=gettext_lazy("About an order (optional)"), required=False)
    attachments = MultipleFileField(
        label=gettext_lazy("Attachments (optional)"),
        required=False,
        help_text=gettext_lazy("Up to 3 files: images, PDF or text, 5 MB each."),
    )

    def __init__(self, *args: Any, orders: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if orders:
            field = self.fields["order"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "—"), *orders]
        else:
            del self.fields["order"]


class VisitorTicketForm(TicketForm):
    email = forms.EmailField(
        label=gettext_lazy("Your email"),
        help_text=gettext_lazy("We send a link to confirm it before we read your request."),
    )

    field_order = ["email", "category", "title", "body", "attachments"]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments (optional)"), required=False)
