"""URLs of the simulated payment processor when it runs alone (``manage.py serve``
with ``SIMULATORS=gateway``, or ``manage.py run_gateway``).

Under the same ``/gateway/`` prefix as in the suite's URLconf, so that its
hosted pages keep their addresses.
"""

from django.urls import include, path

urlpatterns = [path("gateway/", include("roamwise.gateway.urls"))]
