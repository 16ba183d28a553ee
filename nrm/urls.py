"""This app's staff pages, mounted at the site root by config/urls.py."""

from django.urls import path

from nrm import views

urlpatterns: list = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/otp/", views.sign_in_otp, name="sign-in-otp"),
    path("sign-in/otp/setup/", views.sign_in_otp_setup, name="sign-in-otp-setup"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("language/", views.set_language, name="set-language"),
    path("session/keep-alive/", views.keep_alive, name="session-keep-alive"),
]
