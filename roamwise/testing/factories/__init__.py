"""factory-boy factories for the main models, one module per app.

Rows are made the way the site makes them: a customer through
``make_customer`` (email address, profile), an order through
``order_create`` (prices, VAT, sealed billing details), an eSIM through
``esim_for_order`` (its first bundle), a ticket through ``ticket_open``, a
data request through the privacy center's service. A factory sets only what
a test does not care about; pass what it does::

    order = PaidOrderFactory(customer=alice, plan=plan)
    esim = EsimFactory(order=order, state=EsimState.INSTALLED)
    tickets = TicketFactory.create_batch(3, customer=alice)
"""

from .accounts import CustomerFactory, StaffFactory
from .catalog import DestinationFactory, PlanFactory
from .esims import EsimFactory
from .orders import OrderFactory, PaidOrderFactory
from .payments import PaymentFactory
from .promotions import PromotionFactory
from .rights import DataRequestFactory
from .suppliers import SupplierPackageFactory, source_costing
from .support import TicketFactory

__all__ = [
    "CustomerFactory",
    "DataRequestFactory",
    "DestinationFactory",
    "EsimFactory",
    "OrderFactory",
    "PaidOrderFactory",
    "PaymentFactory",
    "PlanFactory",
    "PromotionFactory",
    "StaffFactory",
    "SupplierPackageFactory",
    "TicketFactory",
    "source_costing",
]
