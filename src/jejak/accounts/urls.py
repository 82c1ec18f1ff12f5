from django.contrib.auth import views as auth_views
from django.urls import path

from jejak.accounts import privacy_views, second_factor_views, views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/kode/", second_factor_views.verify, name="second_factor_verify"),
    path("login/faktor-kedua/", second_factor_views.enrol, name="second_factor_enrol"),
    path("", views.home, name="dashboard"),
    path("masuk/", views.visitor_login, name="visitor_login"),
    path("privasi/", privacy_views.notice, name="privacy_notice"),
    path("privasi/terima/", privacy_views.accept, name="privacy_accept"),
]
