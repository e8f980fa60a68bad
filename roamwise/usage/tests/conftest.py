"""The usage tests' partners and line; the helpers are in roamwise.testing.lines."""

from __future__ import annotations

import pytest

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.esims.models import Esim
from roamwise.testing.lines import ICCID_PREFIX, OTHER_PREFIX, esim_on_line, iccid
from roamwise.usage import services
from roamwise.usage.models import Partner


@pytest.fixture
def partner(db: None) -> tuple[Partner, str]:
    return services.partner_create(
        code="orange-roaming", name="Orange Roaming", iccid_prefixes=ICCID_PREFIX
    )


@pytest.fixture
def other_partner(db: None) -> tuple[Partner, str]:
    return services.partner_create(
        code="other-network", name="Other Network", iccid_prefixes=OTHER_PREFIX
    )


@pytest.fixture
def line_esim(alice: User, plan: Plan) -> Esim:
    return esim_on_line(alice, plan, iccid(1))
