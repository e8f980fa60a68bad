# A promotion on an order: the price before it, the discount, the use it took;
# and the discount line of the invoice (ADR 0031).

from decimal import Decimal

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models


def price_before_discount_is_total(apps, schema_editor):
    """Orders made before promotions had no discount: their price was their total."""
    Order = apps.get_model("orders", "Order")
    Order.objects.update(price_before_discount=models.F("total"))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_alter_orderevent_options_and_more"),
        ("promotions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="discount_amount",
            field=models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=10),
        ),
        migrations.AddField(
            model_name="invoice",
            name="discount_label",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name="order",
            name="discount_amount",
            field=models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=10),
        ),
        migrations.AddField(
            model_name="order",
            name="price_before_discount",
            field=models.DecimalField(decimal_places=2, max_digits=10, null=True),
        ),
        migrations.RunPython(price_before_discount_is_total, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="price_before_discount",
            field=models.DecimalField(decimal_places=2, max_digits=10),
        ),
        migrations.AddField(
            model_name="order",
            name="promotion_use",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="order",
                to="promotions.promotionuse",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("discount_amount__gte", 0),
                    (
                        "price_before_discount",
                        django.db.models.expressions.CombinedExpression(
                            models.F("total"), "+", models.F("discount_amount")
                        ),
                    ),
                ),
                name="order_discount_adds_up",
            ),
        ),
    ]
