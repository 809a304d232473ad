"""The pipeline's officer choices come by the loan officers' group id (a plan through the index, issue 15)."""

import pytest
from django.contrib.auth.models import Group

from lending.core import roles
from origination import selectors
from origination.models import LoanProduct
from tests.core.factories import user_with_role
from tests.origination.factories import LoanProductFactory

pytestmark = pytest.mark.django_db


def test_the_officer_choices_are_the_active_loan_officers_by_name():
    zoe = user_with_role(roles.LOAN_OFFICER, first_name="Zoe")
    abe = user_with_role(roles.LOAN_OFFICER, first_name="Abe")
    user_with_role(roles.LOAN_OFFICER, first_name="Gone", is_active=False)
    user_with_role(roles.BORROWER, first_name="Bob")
    user_with_role(roles.PROCESSOR, first_name="Pam")
    assert selectors.pipeline_filter_choices()["officers"] == [abe, zoe]


def test_without_a_loan_officer_group_there_are_no_officer_choices():
    user_with_role(roles.BORROWER)  # a user in no loan officer group is not an officer either
    Group.objects.filter(name=roles.LOAN_OFFICER).delete()
    assert selectors.pipeline_filter_choices()["officers"] == []


def test_the_product_choices_are_every_product_by_name(django_assert_max_num_queries):
    user_with_role(roles.LOAN_OFFICER, first_name="Abe")
    LoanProductFactory(name="Zeta loan", code="ZETA")
    LoanProductFactory(name="Alpha loan", code="ALPHA")
    with django_assert_max_num_queries(3):  # the group, then its officers and the products together
        choices = selectors.pipeline_filter_choices()
    assert choices["products"] == list(LoanProduct.objects.order_by("name"))
    assert choices["products"][0].name == "Alpha loan"
    assert [officer.first_name for officer in choices["officers"]] == ["Abe"]
