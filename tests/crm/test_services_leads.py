"""Leads: dedupe onto one contact, assignment by rule or in turn, and the stage moves (lost needs a reason)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from crm.models import Activity, Contact, Lead, Stage
from crm.services.contacts import ContactData, phone_normalize
from crm.services.leads import LeadInput, lead_capture, lead_move, lead_reassign, officer_for, officer_next_in_turn
from lending.core.models import AuditEvent
from tests.crm.factories import ContactFactory, LeadFactory, LeadSourceFactory

pytestmark = pytest.mark.django_db


def _capture(email="", phone="", last="Doe", source=None, **kwargs):
    return lead_capture(
        actor=None,
        data=LeadInput(
            contact=ContactData(first_name="Dana", last_name=last, email=email, phone=phone),
            source=source or LeadSourceFactory(code="website"),
            consent_source="manual",
            **kwargs,
        ),
    )


@pytest.mark.parametrize(
    ("typed", "key"),
    [("(555) 010-0100", "15550100100"), ("+1 555 010 0100", "15550100100"), ("+44 20 7946 0958", "442079460958")],
)
def test_phone_numbers_normalize_to_their_digits_with_the_country_code(typed, key):
    assert phone_normalize(typed) == key


def test_a_phone_number_too_short_to_dial_is_refused():
    with pytest.raises(ValidationError) as exc:
        phone_normalize("555-0100")  # 7 digits: no area code
    assert exc.value.message_dict == {"phone": ["Enter a phone number with its area code (10 to 15 digits)."]}


def test_the_same_email_in_another_case_merges_into_the_contact():
    first = _capture(email="Dana@Example.com")
    again = _capture(email=" dana@example.COM ", phone="555 010 0100")
    assert (again.contact_created, again.lead_created) == (False, False)
    assert again.lead == first.lead
    contact = Contact.objects.get()
    assert contact.phone_normalized == "15550100100"  # what we did not know is filled in


def test_the_same_phone_merges_into_the_contact_even_with_a_new_email():
    first = _capture(phone="555-010-0100")
    again = _capture(email="new@example.com", phone="1 (555) 010-0100")
    assert again.lead == first.lead
    assert Contact.objects.get().email_normalized == "new@example.com"


def test_a_closed_lead_does_not_absorb_a_new_enquiry():
    lead = LeadFactory(stage=Stage.LOST, lost_reason="Went with a bank")
    again = _capture(email=lead.contact.email)
    assert (again.contact_created, again.lead_created) == (False, True)
    assert again.lead.contact == lead.contact
    assert Lead.objects.count() == 2


def test_the_database_refuses_two_contacts_with_one_email():
    ContactFactory(email="x@example.com")
    with pytest.raises(IntegrityError):
        ContactFactory(email="x@example.com")


def test_officers_take_new_leads_in_turn_and_wrap_round(officer, other_officer):
    # officer was created first (lower pk): the turn goes olive, oscar, olive.
    assert [officer_next_in_turn() for _ in range(3)] == [officer, other_officer, officer]


def test_a_source_with_an_officer_gives_its_leads_to_them_without_moving_the_turn(officer, other_officer):
    referral = LeadSourceFactory(code="builder-desk", assign_to=other_officer)
    assert officer_for(referral) == other_officer
    assert officer_for(referral) == other_officer
    assert officer_next_in_turn() == officer  # the rotation did not move


def test_a_source_whose_officer_left_falls_back_to_the_turn(officer, other_officer):
    other_officer.is_active = False
    other_officer.save()
    assert officer_for(LeadSourceFactory(code="desk", assign_to=other_officer)) == officer


def test_a_captured_lead_gets_its_officer_by_the_sources_rule(officer, other_officer):
    captured = _capture(email="a@example.com", source=LeadSourceFactory(code="desk", assign_to=other_officer))
    assert captured.lead.officer == other_officer
    assert AuditEvent.objects.get(verb="crm.lead_created").after == {"source": "desk", "officer": "oscar@lending.test"}


def test_stages_move_forward_and_first_contact_is_stamped(officer):
    lead = LeadFactory(officer=officer)
    lead_move(actor=officer, lead=lead, to=Stage.CONTACTED)
    lead.refresh_from_db()
    stamped = lead.first_contacted_at
    assert stamped is not None
    lead_move(actor=officer, lead=lead, to=Stage.QUALIFIED)
    lead_move(actor=officer, lead=lead, to=Stage.CONTACTED)  # back a step: the first contact stays
    lead.refresh_from_db()
    assert (lead.stage, lead.first_contacted_at) == ("contacted", stamped)
    assert list(Activity.objects.filter(lead=lead).order_by("pk").values_list("subject", flat=True)) == [
        "Stage: New -> Contacted",
        "Stage: Contacted -> Qualified",
        "Stage: Qualified -> Contacted",
    ]
    assert AuditEvent.objects.filter(verb="crm.lead_stage_changed").count() == 3


def test_lost_needs_a_reason_and_records_it(officer):
    lead = LeadFactory(officer=officer)
    with pytest.raises(ValidationError) as exc:
        lead_move(actor=officer, lead=lead, to=Stage.LOST, lost_reason="   ")
    assert exc.value.message_dict == {"lost_reason": ["Say why the lead was lost."]}
    lead_move(actor=officer, lead=lead, to=Stage.LOST, lost_reason="Rate  shopping")
    lead.refresh_from_db()
    assert (lead.stage, lead.lost_reason) == ("lost", "Rate shopping")
    assert lead.closed_at is not None


def test_the_database_refuses_a_lost_lead_without_a_reason():
    with pytest.raises(IntegrityError):
        LeadFactory(stage=Stage.LOST, lost_reason="")


@pytest.mark.parametrize(
    ("start", "to", "message"),
    [
        ("new", "application", "Convert the lead to open its application."),
        ("qualified", "won", "A lead cannot move from Qualified to Won by hand."),
        ("contacted", "new", "A lead cannot move from Contacted to New by hand."),
        ("lost", "qualified", "A lead cannot move from Lost to Qualified by hand."),
    ],
)
def test_moves_outside_the_flow_are_refused(officer, start, to, message):
    lead = LeadFactory(officer=officer, stage=start, lost_reason="x" if start == "lost" else "")
    with pytest.raises(ValidationError) as exc:
        lead_move(actor=officer, lead=lead, to=to)
    assert exc.value.message_dict == {"stage": [message]}
    lead.refresh_from_db()
    assert lead.stage == start


def test_a_lost_lead_can_be_reopened_and_forgets_its_reason(officer):
    lead = LeadFactory(officer=officer, stage=Stage.LOST, lost_reason="No answer")
    lead_move(actor=officer, lead=lead, to=Stage.CONTACTED)
    lead.refresh_from_db()
    assert (lead.stage, lead.lost_reason) == ("contacted", "")


def test_an_officer_cannot_move_another_officers_lead(officer, other_officer):
    lead = LeadFactory(officer=other_officer)
    with pytest.raises(PermissionDenied):
        lead_move(actor=officer, lead=lead, to=Stage.CONTACTED)


def test_only_a_manager_reassigns(officer, other_officer, manager):
    lead = LeadFactory(officer=officer)
    with pytest.raises(PermissionDenied):
        lead_reassign(actor=officer, lead=lead, officer=other_officer)
    lead_reassign(actor=manager, lead=lead, officer=other_officer)
    lead.refresh_from_db()
    assert lead.officer == other_officer
    event = AuditEvent.objects.get(verb="crm.lead_reassigned")
    assert (event.before, event.after) == ({"officer": "olive@lending.test"}, {"officer": "oscar@lending.test"})


def test_qualifying_straight_from_new_is_a_first_contact(officer):
    lead = LeadFactory(officer=officer)
    lead_move(actor=officer, lead=lead, to=Stage.QUALIFIED)
    lead.refresh_from_db()
    assert lead.first_contacted_at == lead.stage_changed_at
