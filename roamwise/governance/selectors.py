from __future__ import annotations

import uuid

from django.db.models import QuerySet

from .models import Disclosure


def disclosures_of(*, subject_id: uuid.UUID) -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(subject_id=subject_id)
