"""eSIMs of paid orders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from roamwise.devices.validators import eid_check_digits, luhn_check_digit
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.esims.services.provisioning import esim_for_order

from .orders import PaidOrderFactory

# The test range of ICCIDs: 89 44 99 0, as the network partner's stand-in uses.
ICCID_PREFIX = "8944990"


def test_iccid(number: int) -> str:
    """A valid 19-digit ICCID (Luhn check digit) in the test range."""
    body = f"{ICCID_PREFIX}{number:0{18 - len(ICCID_PREFIX)}d}"
    return body + luhn_check_digit(body)


def test_eid(number: int) -> str:
    """A valid 32-digit EID (its two check digits) of a test eUICC."""
    body = f"89049032{number:022d}"
    return body + eid_check_digits(body)


class EsimFactory(factory.django.DjangoModelFactory):
    """The eSIM of a paid order with its first bundle, as ``esim_for_order``
    makes it (state ``preparing``). Given ``state`` (``EsimState.INSTALLED``,
    ``READY``...), it is put there directly, with an ICCID and EID, as if the
    SM-DP+ had answered; the events of the way there are not written.
    ``on_network=True``: its bundles are active at the network partner, added
    two days ago."""

    class Meta:
        model = Esim

    order = factory.SubFactory(PaidOrderFactory)
    state = EsimState.PREPARING
    iccid = factory.Sequence(lambda n: test_iccid(900000 + n))
    eid = factory.Sequence(lambda n: test_eid(n))
    on_network = False

    @classmethod
    def _create(cls, model_class: type[Esim], *args: Any, **kwargs: Any) -> Esim:
        esim = esim_for_order(order=kwargs.pop("order"))
        state = kwargs.pop("state")
        if kwargs.pop("on_network"):
            Bundle.objects.filter(esim=esim).update(
                state=Bundle.State.ACTIVE, network_added_at=timezone.now() - dt.timedelta(days=2)
            )
        if state == EsimState.PREPARING:
            return esim
        now = timezone.now()
        esim.state = state
        esim.ready_at = now
        if state == EsimState.INSTALLED:
            esim.installed_at = now
        for name, value in kwargs.items():
            setattr(esim, name, value)
        esim.save()
        return esim
