"""The home page's two search forms are two landmarks a screen reader tells
apart: each has its own name."""

from __future__ import annotations

import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_two_search_landmarks_have_distinct_labels(client: Client, catalog: None) -> None:
    page = client.get("/").content.decode()
    forms = re.findall(r'<form[^>]*role="search"[^>]*>', page)
    labels = [re.search(r'aria-label="([^"]+)"', form) for form in forms]
    assert len(forms) == 2 and all(labels)
    assert len({label.group(1) for label in labels if label}) == 2
