from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "monoboard.boards"
    label = "boards"

    def ready(self) -> None:
        from monoboard.boards import effects, pagecache

        effects.subscribe(pagecache.on_domain_event)
