from django.urls import path

from templates_app import api, views

app_name = "templates_app"

urlpatterns = [
    path("", views.index, name="index"),
    # Before the template pages: "brand-fonts" is a reserved slug.
    path("brand-fonts/", views.brand_fonts, name="brand_fonts"),
    path("brand-fonts/<uuid:font_id>/delete/", views.delete_brand_font, name="delete_brand_font"),
    path("brand-fonts/<uuid:font_id>/preview.png", views.brand_font_preview, name="brand_font_preview"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/favourite/", views.favorite, name="favorite"),
]

# Mounted at /api/v1/templates/ by craftplatform/urls.py (outside this app's page namespace).
api_urlpatterns = [
    path("", api.TemplateListView.as_view(), name="api-templates"),
    path("categories/", api.CategoryListView.as_view(), name="api-template-categories"),
    path("brand-fonts/", api.BrandFontListView.as_view(), name="api-brand-fonts"),
    path("brand-fonts/<uuid:font_id>/", api.BrandFontDetailView.as_view(), name="api-brand-font-detail"),
    path("brand-fonts/<uuid:font_id>/preview/", api.BrandFontPreviewView.as_view(), name="api-brand-font-preview"),
    path("<slug:slug>/", api.TemplateDetailView.as_view(), name="api-template-detail"),
    path("<slug:slug>/favorite/", api.FavoriteView.as_view(), name="api-template-favorite"),
]
