from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "openlance.proposals"
    label = "proposals"
    verbose_name = "Proposals and invitations"

    def ready(self) -> None:
        from openlance.proposals import handlers  # noqa: F401  (registers outbox handlers)
