import pytest


@pytest.mark.django_db
def test_apply_page_says_plainly_that_online_applications_are_not_open_yet(client):
    response = client.get("/apply/")
    assert response.status_code == 200
    assert "Online applications are not open yet" in response.content.decode()
