from django.urls import path

from . import views

app_name = "esims"

urlpatterns = [
    path("", views.esim_list, name="list"),
    path("<uuid:public_id>/", views.esim_detail, name="detail"),
    path("<uuid:public_id>/qr.png", views.esim_qr_png, name="qr_png"),
    path("<uuid:public_id>/suspend/", views.esim_suspend, name="suspend"),
    path("<uuid:public_id>/resume/", views.esim_resume, name="resume"),
    path("<uuid:public_id>/delete/", views.esim_delete, name="delete"),
    path("<uuid:public_id>/top-up/", views.esim_topup, name="topup"),
    # ES2+ notification endpoint the SM-DP+ calls (SGP.22 §5.3.5).
    path(
        "es2plus/handleDownloadProgressInfo",
        views.handle_download_progress_info,
        name="handle_download_progress_info",
    ),
    # The same at SGP.22's function path (§6.5.2, Table 57), which SM-DP+s append
    # to the operator's base URL.
    path(
        "es2plus/gsma/rsp2/es2plus/handleDownloadProgressInfo",
        views.handle_download_progress_info,
        name="handle_download_progress_info_sgp22",
    ),
]
