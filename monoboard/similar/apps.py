from django.apps import AppConfig


class SimilarConfig(AppConfig):
    name = "monoboard.similar"
    label = "similar"

    def ready(self) -> None:
        # Imported for its registration: the consumer that keeps vectors in step.
        from monoboard.similar import sync  # noqa: F401
