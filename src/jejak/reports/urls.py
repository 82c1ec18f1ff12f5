from django.urls import path

from jejak.reports import views

urlpatterns = [path("laporan/", views.report_page, name="report_page")]
