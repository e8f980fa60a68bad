from django.urls import path

from . import views

app_name = "smdp"

urlpatterns = [
    path("gsma/rsp2/es2plus/<str:function>", views.es2plus, name="es2plus"),
    path("device/download", views.device_download, name="device_download"),
    path("admin/fault", views.fault_admin, name="fault_admin"),
]
