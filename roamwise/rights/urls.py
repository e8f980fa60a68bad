from django.urls import path

from . import views

app_name = "rights"

urlpatterns = [
    path("", views.privacy_center, name="center"),
    path("export/", views.export_download, name="export"),
    path("access/", views.access_request, name="access"),
    path("correction/", views.correction, name="correction"),
    path("name/", views.name_update, name="name"),
    path("objections/", views.objections, name="objections"),
    path("erase/", views.erase, name="erase"),
    path("requests/<str:public_id>/", views.request_detail, name="request"),
    path("requests/<str:public_id>/files/<str:file_id>/", views.request_file, name="request_file"),
    path("request/", views.public_request, name="public"),
    path("report-child/", views.child_report, name="child_report"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("download/<str:token>/", views.download, name="download"),
]
