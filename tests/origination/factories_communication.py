"""Communication test factories: messages and tasks."""

import factory

from lending.core import roles
from origination.models import Message, Task
from tests.core.factories import UserFactory
from tests.origination.factories import ApplicationFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    application = factory.SubFactory(ApplicationFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Message number {n}")
    is_internal = False


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    application = factory.SubFactory(ApplicationFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    assignee = factory.SubFactory(UserFactory, roles=[roles.PROCESSOR])
    created_by = factory.SubFactory(UserFactory, roles=[roles.LOAN_OFFICER])
