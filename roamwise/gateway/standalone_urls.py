"""URLs of the simulated payment processor when it runs alone (``manage.py run_gateway``).

Under the same ``/gateway/`` prefix as when mounted in the shop, so that its
hosted pages keep their addresses.
"""

from django.urls import include, path

urlpatterns = [path("gateway/", include("roamwise.gateway.urls"))]
