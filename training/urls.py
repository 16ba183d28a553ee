from django.urls import path

from training import views

urlpatterns = [
    path("training/", views.trainer_home, name="training-home"),
    path("training/start/", views.exercise_start, name="training-start"),
    path(
        "training/<uuid:exercise_id>/clock/",
        views.clock_control,
        name="training-clock",
    ),
    path(
        "training/<uuid:exercise_id>/reset/",
        views.exercise_reset,
        name="training-reset",
    ),
    path(
        "training/<uuid:exercise_id>/debrief/",
        views.exercise_debrief,
        name="training-debrief",
    ),
    path(
        "training/injects/<int:inject_id>/fire/",
        views.inject_fire,
        name="training-inject-fire",
    ),
]
