from django.urls import path

from campaigns.connections import views

urlpatterns = [
    path("", views.connection, name="connection"),
    path("connect/", views.connect_start, name="connect"),
    path("callback/", views.connect_callback, name="connect_callback"),
    path("accounts/", views.choose_accounts, name="choose_accounts"),
    path("disconnect/", views.disconnect, name="disconnect"),
]
