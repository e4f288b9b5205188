from django.contrib.auth import views as auth_views
from django.urls import path

from gridgov.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    # POST only (Django 5): a link or an image tag must not be able to log anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
]
