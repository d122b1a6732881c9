from django.urls import path

from monoboard.similar import views

app_name = "similar"
urlpatterns = [
    path("", views.triage, name="triage"),
    path("dismiss/", views.dismiss, name="dismiss"),
    path("merge/", views.merge, name="merge"),
]
