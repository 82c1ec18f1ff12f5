from django.urls import path

from jejak.breaches import views

P = "pelindungan-data/insiden/"

urlpatterns = [
    path(P, views.breach_list, name="breach_list"),
    path(f"{P}baru/", views.breach_create, name="breach_create"),
    path(f"{P}<str:public_id>/", views.breach_detail, name="breach_detail"),
    path(f"{P}<str:public_id>/ubah/", views.breach_edit, name="breach_edit"),
    path(f"{P}<str:public_id>/pemilihan/", views.breach_select, name="breach_select"),
    path(f"{P}<str:public_id>/draf/", views.breach_draft, name="breach_draft"),
    path(f"{P}<str:public_id>/kirim/", views.breach_send, name="breach_send"),
    path(f"{P}<str:public_id>/dilaporkan/", views.breach_reported, name="breach_reported"),
    path(f"{P}<str:public_id>/tutup/", views.breach_close, name="breach_close"),
    path(f"{P}<str:public_id>/laporan.pdf", views.breach_report, name="breach_report"),
]
