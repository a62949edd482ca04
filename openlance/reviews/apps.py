from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "openlance.reviews"
    label = "reviews"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from openlance.reviews import handlers  # noqa: F401  (registers outbox handlers)
