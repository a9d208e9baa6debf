from django.urls import path

from templates_app import api, views

app_name = "templates_app"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/favourite/", views.favorite, name="favorite"),
]

# Mounted at /api/v1/templates/ by craftplatform/urls.py (outside this app's page namespace).
api_urlpatterns = [
    path("", api.TemplateListView.as_view(), name="api-templates"),
    path("categories/", api.CategoryListView.as_view(), name="api-template-categories"),
    path("<slug:slug>/", api.TemplateDetailView.as_view(), name="api-template-detail"),
    path("<slug:slug>/favorite/", api.FavoriteView.as_view(), name="api-template-favorite"),
]
