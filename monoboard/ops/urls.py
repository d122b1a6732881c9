from django.urls import path

from monoboard.ops import readiness, views
from monoboard.ops.metrics.views import metrics

app_name = "ops"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", readiness.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("ops/scale/", views.scale, name="scale"),
]
