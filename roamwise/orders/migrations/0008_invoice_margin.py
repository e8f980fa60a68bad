from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def margins_from_orders(apps: Any, schema_editor: Any) -> None:
    """Invoices issued before keep their order's margin too, as the reports read it."""
    Invoice = apps.get_model("orders", "Invoice")
    Order = apps.get_model("orders", "Order")
    Invoice.objects.update(
        margin_amount=Subquery(
            Order.objects.filter(pk=OuterRef("order_id")).values("margin_amount")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_order_promotion"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="margin_amount",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True),
        ),
        migrations.RunPython(margins_from_orders, migrations.RunPython.noop, elidable=True),
    ]
