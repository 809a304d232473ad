"""The loan product admin: a product in use is retired, never deleted (its applications hold it)."""

import pytest

from origination.models import LoanProduct
from tests.core.factories import UserFactory
from tests.origination.factories import ApplicationFactory, LoanProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_product_with_applications_cannot_be_deleted(superuser_client):
    product = ApplicationFactory().product
    assert superuser_client.get(f"/admin/origination/loanproduct/{product.pk}/delete/").status_code == 403
    assert (
        superuser_client.post(f"/admin/origination/loanproduct/{product.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert LoanProduct.objects.filter(pk=product.pk).exists()
    change = superuser_client.get(f"/admin/origination/loanproduct/{product.pk}/change/")
    assert change.status_code == 200
    assert f"/admin/origination/loanproduct/{product.pk}/delete/" not in change.content.decode()


def test_a_product_never_used_can_be_deleted(superuser_client):
    product = LoanProductFactory()
    assert superuser_client.get(f"/admin/origination/loanproduct/{product.pk}/delete/").status_code == 200
    response = superuser_client.post(f"/admin/origination/loanproduct/{product.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not LoanProduct.objects.filter(pk=product.pk).exists()
