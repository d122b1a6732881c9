from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "monoboard.notifications"
    label = "notifications"

    def ready(self) -> None:
        from monoboard.notifications import subscribers  # registers its consumer

        subscribers.register_recurring_jobs()
