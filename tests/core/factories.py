import factory
from django.contrib.auth.models import Group

from lending.core import roles
from lending.core.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@lending.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        # get_or_create: transactional tests flush the groups that the data migration made.
        self.groups.set([Group.objects.get_or_create(name=name)[0] for name in extracted])
        if any(r in roles.ADMIN_ROLES for r in extracted):
            self.is_staff = True
        self.save()


def user_with_role(role: str, **kwargs) -> User:
    return UserFactory.create(roles=[role], **kwargs)
