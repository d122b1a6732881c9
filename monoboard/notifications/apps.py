from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "monoboard.notifications"
    label = "notifications"

    def ready(self) -> None:
        from monoboard.boards.effects import subscribe
        from monoboard.notifications import subscribers

        subscribe(subscribers.on_domain_event)
        subscribers.register_recurring_jobs()
