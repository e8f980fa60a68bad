from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from . import selectors
from .errors import InvalidDeviceInput
from .forms import CompatibilityForm


# The answer echoes the EID and IMEI back into the form: no cache may keep it,
# and error reports must not show them (SIM-04).
@never_cache
@sensitive_post_parameters("eid", "imei")
@require_http_methods(["GET", "POST"])
def compatibility(request: HttpRequest) -> HttpResponse:
    # POST, not GET: device identifiers must not end up in URLs, history or access logs.
    form = CompatibilityForm(request.POST if request.method == "POST" else None)
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = selectors.device_check(
                model=form.cleaned_data["model"],
                eid=form.cleaned_data["eid"],
                imei=form.cleaned_data["imei"],
            )
        except InvalidDeviceInput as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            # Most likely a typing mistake: say so next to the field, with the answer.
            if result.eid_valid is False:
                form.add_error("eid", selectors.EID_CHECK_FAILED)
            if result.imei_valid is False:
                form.add_error("imei", selectors.IMEI_CHECK_FAILED)
    context = {
        "form": form,
        "result": result,
        "device_names": [device.name for device in selectors.device_list()],
        "updated": selectors.device_list_updated(),
    }
    return render(request, "devices/compatibility.html", context)
