"""URLs of the network partner stand-in when it runs alone (``manage.py serve``
with ``SIMULATORS=network``): its API at the root of its own address, as a
partner's would be."""

from django.urls import include, path

urlpatterns = [path("", include("roamwise.network.urls"))]
