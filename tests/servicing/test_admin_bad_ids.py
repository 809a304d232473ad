"""The admin's custom servicer URLs take any path segment as the id: one that is not an id answers 404, not 500."""

import pytest

from lending.core import roles
from tests.core.factories import user_with_role

pytestmark = pytest.mark.django_db

CUSTOM_URLS = (
    ("get", "/admin/servicing/loanaccount/{}/post-payment/"),
    ("post", "/admin/servicing/loanaccount/{}/post-payment/"),
    ("post", "/admin/servicing/loanaccount/{}/post-payment/preview/"),
    ("get", "/admin/servicing/loantransaction/{}/reverse/"),
    ("post", "/admin/servicing/loantransaction/{}/reverse/"),
    ("get", "/admin/servicing/importbatch/{}/preview/"),
    ("post", "/admin/servicing/importbatch/{}/commit/"),
)
BAD_IDS = ("abc", "1.5", "-1", "99999999999999999999", "%C2%B2", "1%00")


@pytest.mark.parametrize(("method", "url"), CUSTOM_URLS)
@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_a_non_numeric_or_huge_id_is_a_404(client, method, url, bad_id):
    client.force_login(user_with_role(roles.MANAGER))
    response = getattr(client, method)(url.format(bad_id))
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "url"), CUSTOM_URLS)
def test_an_id_of_nothing_is_a_404(client, method, url):
    client.force_login(user_with_role(roles.MANAGER))
    response = getattr(client, method)(url.format(424242))
    assert response.status_code == 404
