from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@permission_required("audit.view_records_of_processing", raise_exception=True)
def records_of_processing(request: HttpRequest) -> HttpResponse:
    context = {**admin.site.each_context(request), "records": selectors.records_of_processing()}
    return render(request, "datamap/records_of_processing.html", context)
