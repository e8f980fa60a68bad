"""What the shop asks of an eSIM source, whoever supplies it (ADR 0020).

A supplier is an adapter behind ``Supplier``: ES2+ with a network partner,
or a wholesaler's REST API (Airalo, eSIM Access). Everything crossing this
boundary is a frozen dataclass; money is ``Decimal`` with its currency; data
is in megabytes; errors are those of ``errors.py``, which say whether a retry
can help.
"""

from __future__ import annotations

import enum
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal


class Capability(enum.StrEnum):
    SYNC_ORDER = "sync_order"  # the order call answers with the profile
    TOP_UP = "top_up"
    USAGE = "usage"
    SUSPEND = "suspend"  # suspend and resume
    TERMINATE = "terminate"
    CANCEL = "cancel"  # cancel an unused profile for a refund
    BALANCE = "balance"  # our prepaid credit can be read
    # Repeating an order under the same transaction id returns the first order,
    # so an order whose answer was lost may simply be sent again.
    IDEMPOTENT_ORDER = "idempotent_order"
    # An order whose answer was lost can be found at the supplier by our
    # transaction id (``find_order``), so it is looked up before it is repeated.
    ORDER_LOOKUP = "order_lookup"
    # Whether a top-up whose answer was lost landed can be asked (``find_top_up``),
    # so that the refund sweep refunds only one that did not.
    TOP_UP_LOOKUP = "top_up_lookup"


class Coverage(enum.StrEnum):
    LOCAL = "local"  # one country
    REGIONAL = "regional"  # several countries, named
    GLOBAL = "global"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Package:
    """One package of the supplier's catalogue, in our units."""

    package_id: str
    title: str
    coverage: Coverage
    countries: tuple[str, ...]  # ISO 3166-1 alpha-2, upper case
    data_mb: int  # 0 when unlimited
    validity_days: int
    wholesale: Money
    unlimited: bool = False
    fair_use: str = ""  # the supplier's fair-use policy of an unlimited package
    region: str = ""  # the supplier's name for a region, if any
    networks: tuple[str, ...] = ()
    top_up: bool = False  # a top-up package rather than a new eSIM
    network_generation: str = ""  # "5g", "4g", or "" when the supplier does not say


def network_generation(named: Iterable[str]) -> str:
    """The fastest generation among the network types a supplier names ("4G", "LTE",
    "5G", "4G/5G"): "5g", "4g", or "" when it names none of them."""
    types = {part.strip().upper() for text in named for part in re.split(r"[/,]", str(text))}
    if "5G" in types:
        return "5g"
    if types & {"4G", "LTE"}:
        return "4g"
    return ""


@dataclass(frozen=True)
class InstallDetails:
    """What a phone needs to download the profile (SGP.22 activation code)."""

    iccid: str
    smdp_address: str
    matching_id: str

    @property
    def lpa(self) -> str:
        # SGP.22 4.1: "LPA:1$<SM-DP+ address>$<matching ID>".
        return f"LPA:1${self.smdp_address}${self.matching_id}"


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # allocated later: by webhook or by polling
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class SupplierOrder:
    """The answer to an order. ``reference`` is the supplier's id of it."""

    transaction_id: str  # ours, unique per attempt
    reference: str
    status: OrderStatus
    install: InstallDetails | None = None
    cost: Money | None = None


@dataclass(frozen=True)
class Usage:
    iccid: str
    total_mb: int
    remaining_mb: int
    unlimited: bool = False
    # When the supplier measured it, if it says; Airalo caches usage 20 minutes.
    measured_at: datetime | None = None

    @property
    def used_mb(self) -> int:
        """Data used so far on the eSIM, all its packages together (0 when unlimited)."""
        return 0 if self.unlimited else max(0, self.total_mb - self.remaining_mb)


@dataclass(frozen=True)
class WebhookEvent:
    """An inbound notification, verified and parsed."""

    event_id: str  # the dedup key
    kind: str  # "order", "usage", "esim_status", "credit", ...
    reference: str = ""  # the supplier's order reference or request id
    order: SupplierOrder | None = None
    iccid: str = ""
    usage: Usage | None = None  # a usage notification that carries the figures
    detail: dict[str, str] = field(default_factory=dict)


class Supplier(ABC):
    """An eSIM source. Operations not in ``capabilities`` raise ``NotOffered``."""

    code: str = ""
    capabilities: frozenset[Capability] = frozenset()
    # Usage is asked no more often than this per ICCID (Airalo caches it 20 minutes).
    usage_interval: timedelta = timedelta(minutes=20)
    # The supplier keeps no reference of ours with an order, so ``find_order``
    # matches a lost one by package and time among orders we do not know; it is
    # asked only once no other order of that package may still be in flight.
    lookup_by_time: bool = False

    @classmethod
    @abstractmethod
    def from_settings(cls) -> Supplier:
        """The adapter configured from settings (base URL, credentials)."""

    @classmethod
    @abstractmethod
    def is_configured(cls) -> bool:
        """Whether settings hold the credentials to use this supplier."""

    @abstractmethod
    def packages(self) -> list[Package]:
        """The whole catalogue, every page of it."""

    @abstractmethod
    def order(self, *, package_id: str, transaction_id: str) -> SupplierOrder:
        """Order one profile. ``transaction_id`` is ours and unique per order attempt;
        an adapter whose supplier deduplicates on it passes it along."""

    @abstractmethod
    def order_status(self, *, reference: str) -> SupplierOrder:
        """Poll an order placed earlier (asynchronous allocation)."""

    @abstractmethod
    def top_up(self, *, iccid: str, package_id: str, transaction_id: str) -> SupplierOrder: ...

    @abstractmethod
    def usage(self, *, iccid: str) -> Usage: ...

    def suspend(self, *, iccid: str) -> None:
        raise self._not_offered("suspend")

    def resume(self, *, iccid: str) -> None:
        raise self._not_offered("resume")

    def terminate(self, *, iccid: str) -> None:
        raise self._not_offered("terminate")

    def cancel(self, *, reference: str) -> None:
        raise self._not_offered("cancel")

    def balance(self) -> Money:
        raise self._not_offered("balance")

    def find_order(
        self,
        *,
        transaction_id: str,
        package_id: str = "",
        placed_after: datetime | None = None,
        known: frozenset[str] = frozenset(),
    ) -> SupplierOrder | None:
        """The order placed under our ``transaction_id``, or None when the
        supplier has none: how a lost answer is reconciled (``ORDER_LOOKUP``).
        ``package_id``, ``placed_after`` (when our row was written) and
        ``known`` (the references and ICCIDs of this supplier's orders we
        hold) serve a supplier that keeps no reference of ours."""
        raise self._not_offered("order lookup")

    def find_top_up(
        self, *, iccid: str, package_id: str, transaction_id: str, placed_after: datetime
    ) -> SupplierOrder | None:
        """The top-up placed on ``iccid`` under our ``transaction_id`` (written
        at ``placed_after``), or None when it did not land (``TOP_UP_LOOKUP``)."""
        raise self._not_offered("top-up lookup")

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify and parse a notification; raise ``InvalidWebhook`` when it is not one."""
        raise self._not_offered("webhooks")

    def _not_offered(self, operation: str) -> Exception:
        from roamwise.suppliers.errors import NotOffered

        return NotOffered(f"{self.code} does not offer {operation}", supplier_code=self.code)
