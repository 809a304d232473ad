import pytest
from origination.services.closing import loan_fund
from tests.origination.factories_compliance import closed_application, Team, CLOSING_DATE

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = "/tmp/smoke"

def test_smoke():
    team = Team()
    app = closed_application(team=team)
    for c in app.compliance_checks.all():
        print(c.code, c.result, c.explanation)
    f = loan_fund(actor=team.closer, application=app, funded_on=CLOSING_DATE, wire_reference="W1")
    print(f.loan_amount, f.disbursed_amount, f.application.status)
    print(list(app.closing_documents.values_list("kind", "file")))


def test_html():
    import re
    from django.template.loader import render_to_string
    from origination.services.disclosures import document_context, figures_for
    from origination.models import Disclosure
    team = Team()
    app = closed_application(team=team)
    fig = figures_for(app, app.closing_date)
    cd = app.disclosures.filter(kind="closing_disclosure").first()
    for t in ["pdf/closing_disclosure.html", "pdf/promissory_note.html", "pdf/first_payment_letter.html"]:
        html = render_to_string(t, document_context(app, fig, disclosure=cd, closing_disclosure=cd))
        body = html[html.index("<body>"):]
        txt = re.sub(r"<[^>]+>", " ", body)
        print("=====", t); print(re.sub(r"\s+", " ", txt))
