from django.urls import path

from generations import views

app_name = "generations"

urlpatterns = [
    path("", views.index, name="index"),
]
