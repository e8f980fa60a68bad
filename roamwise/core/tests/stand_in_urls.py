"""The shop's URLs with every stand-in mounted beside them, for the suite only.

The suite serves the shop and the stand-ins for its outside parties from one
live server, each stand-in under its own prefix (/gateway/, /smdp/, /network/);
the ``stand_ins`` fixture (root conftest.py) switches to this URLconf. Outside
the suite a stand-in only ever runs as its own process (ADR 0018).
"""

from __future__ import annotations

from django.urls import include, path

from roamwise.core.stand_ins import STAND_INS
from roamwise.urls import handler429
from roamwise.urls import urlpatterns as shop

__all__ = ["handler429", "urlpatterns"]

urlpatterns = [
    *shop,
    *(
        path(f"{name}/", include(f"roamwise.{name}.urls"))
        for name, stand_in in STAND_INS.items()
        if stand_in.urlconf  # the wholesalers' stand-ins are WSGI apps of their own
    ),
]
