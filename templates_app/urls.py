from django.urls import path

from templates_app import views

app_name = "templates_app"

urlpatterns = [
    path("", views.index, name="index"),
]
