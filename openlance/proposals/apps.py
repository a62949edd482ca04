from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "openlance.proposals"
    label = "proposals"
    verbose_name = "Proposals and invitations"
