import factory
from allauth.account.models import EmailAddress

from openlance.accounts.models import Role, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A signed-up user with a verified email. `UserFactory(client=True)` for a client."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        client = factory.Trait(is_client=True, is_freelancer=False, active_role=Role.CLIENT)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_freelancer = True
    is_client = False
    active_role = Role.FREELANCER
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


def client_user(**kwargs) -> User:
    return UserFactory(client=True, **kwargs)


def freelancer_user(**kwargs) -> User:
    return UserFactory(**kwargs)
