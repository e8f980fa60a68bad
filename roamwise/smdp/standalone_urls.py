"""URLs of the SM-DP+ simulator when it runs alone (``manage.py run_smdp``)."""

from django.urls import include, path

urlpatterns = [path("", include("roamwise.smdp.urls"))]
