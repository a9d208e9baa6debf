from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.index, name="index"),
    path("staff/revenue/", views.staff_revenue, name="staff_revenue"),
    path("staff/ai-cost/", views.staff_ai_cost, name="staff_ai_cost"),
    path("staff/usage/", views.staff_usage, name="staff_usage"),
    path("staff/heavy-users/", views.staff_heavy_users, name="staff_heavy_users"),
]
