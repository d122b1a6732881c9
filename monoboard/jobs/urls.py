"""URLs of the admins' jobs page, mounted at /jobs/."""

from django.urls import path

from monoboard.jobs import views

app_name = "jobs"
urlpatterns = [
    path("admin/", views.jobs_admin, name="admin"),
    path("admin/<str:job_id>/retry/", views.job_retry, name="retry"),
]
