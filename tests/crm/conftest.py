import pytest
from django.core.cache import cache

from lending.core import roles
from tests.core.factories import user_with_role


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The contact form's rate limit counts in the cache: each test starts with no submissions counted.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def officer(db):
    return user_with_role(roles.LOAN_OFFICER, email="olive@lending.test", first_name="Olive", last_name="Officer")


@pytest.fixture
def other_officer(db):
    return user_with_role(roles.LOAN_OFFICER, email="oscar@lending.test", first_name="Oscar", last_name="Other")


@pytest.fixture
def manager(db):
    return user_with_role(roles.MANAGER, email="mona@lending.test", first_name="Mona", last_name="Manager")


@pytest.fixture
def borrower(db):
    return user_with_role(roles.BORROWER, email="bea@example.com")
