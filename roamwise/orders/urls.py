from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("checkout/<uuid:plan_id>/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="list"),
    path("orders/<uuid:public_id>/", views.order_detail, name="detail"),
    path("orders/<uuid:public_id>/esim/", views.order_esim, name="esim"),
    path("orders/<uuid:public_id>/pay/", views.order_pay, name="pay"),
    path("orders/<uuid:public_id>/refund/", views.refund_request, name="refund_request"),
    path("orders/<uuid:public_id>/invoice/", views.invoice_html, name="invoice"),
    path("orders/<uuid:public_id>/invoice.pdf", views.invoice_download, name="invoice_pdf"),
]
