import factory
from allauth.account.models import EmailAddress

from accounts import services
from accounts.models import User

PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_verified = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def records(self, create, extracted, **kwargs):
        if not create:
            return
        self.save()
        services.ensure_user_records(user=self)
        EmailAddress.objects.get_or_create(
            user=self, email=self.email, defaults={"verified": self.is_verified, "primary": True}
        )
