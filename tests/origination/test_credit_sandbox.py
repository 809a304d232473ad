"""The sandbox bureau: deterministic from the SSN, magic SSNs, clearly labelled; the adapter setting."""

import pytest

from origination.credit import BureauError, CreditBureau, CreditFileFrozen, CreditSubject, get_bureau
from origination.credit.sandbox import BUREAU_NAME, MAGIC_SSNS, SandboxBureau, sandbox_score


def subject(ssn: str) -> CreditSubject:
    return CreditSubject(first_name="Ana", last_name="Lee", ssn=ssn)


def test_the_same_ssn_always_gives_the_same_report():
    first = SandboxBureau().pull(subject("123-45-6789"))
    again = SandboxBureau().pull(subject("123456789"))
    assert first == again
    assert first.is_sandbox
    assert first.bureau == BUREAU_NAME == "Sandbox bureau (test data)"


@pytest.mark.parametrize(
    ("ssn", "score"), [("123-45-0240", 740), ("123-45-0000", 500), ("123-45-0350", 850), ("123-45-6789", 620)]
)
def test_score_is_500_plus_last_four_mod_351(ssn, score):
    assert sandbox_score(ssn) == score
    assert SandboxBureau().pull(subject(ssn)).score == score


def test_every_score_is_in_500_to_850():
    assert {sandbox_score(f"111-22-{n:04d}") for n in range(10000)} == set(range(500, 851))


def test_tradelines_have_the_documented_shape_and_differ_between_ssns():
    report = SandboxBureau().pull(subject("222-33-0300"))
    assert 2 <= len(report.tradelines) <= 5
    for line in report.tradelines:
        assert set(line) == {"creditor", "kind", "balance", "monthly_payment", "status", "opened"}
        assert line["kind"] in {"revolving", "auto", "student", "installment"}
    assert report.tradelines != SandboxBureau().pull(subject("222-33-0301")).tradelines


def test_a_low_score_has_a_late_tradeline():
    report = SandboxBureau().pull(subject("222-33-0050"))  # 550
    assert [t["status"] for t in report.tradelines].count("60 days late") == 1
    assert "Serious delinquency" in report.key_factors


def test_magic_no_hit():
    report = SandboxBureau().pull(subject("999-00-0001"))
    assert report.score is None
    assert report.tradelines == []
    assert report.is_no_hit
    assert report.raw["scenario"] == "no_hit"


def test_magic_frozen_file_raises():
    with pytest.raises(CreditFileFrozen, match="frozen"):
        SandboxBureau().pull(subject("999-00-0002"))


def test_magic_refer_caution_and_thin_file():
    refer = SandboxBureau().pull(subject("999-00-0003"))
    assert refer.score == 600
    assert {t["status"] for t in refer.tradelines} == {"60 days late", "collection"}
    caution = SandboxBureau().pull(subject("999-00-0005"))
    assert caution.score == 540
    assert "charge-off" in {t["status"] for t in caution.tradelines}
    thin = SandboxBureau().pull(subject("999-00-0004"))
    assert thin.score == 650
    assert len(thin.tradelines) == 1
    assert set(MAGIC_SSNS) == {"999-00-0001", "999-00-0002", "999-00-0003", "999-00-0004", "999-00-0005"}


def test_a_malformed_ssn_is_a_bureau_error():
    with pytest.raises(BureauError, match="9 digits"):
        SandboxBureau().pull(subject("12-345"))


def test_the_subject_never_prints_the_full_ssn():
    assert "123-45-6789" not in repr(subject("123-45-6789"))
    assert "6789" in repr(subject("123-45-6789"))


def test_the_setting_selects_the_adapter(settings):
    assert isinstance(get_bureau(), SandboxBureau)
    assert isinstance(get_bureau(), CreditBureau)
    settings.LENDING_CREDIT_BUREAU = "tests.origination.test_credit_sandbox.FixedBureau"
    assert isinstance(get_bureau(), FixedBureau)
    settings.LENDING_CREDIT_BUREAU = "tests.origination.test_credit_sandbox.NotABureau"
    with pytest.raises(TypeError, match="pull"):
        get_bureau()


class FixedBureau:
    """A stand-in for a real bureau adapter."""

    def pull(self, borrower):
        from origination.credit import BureauReport

        return BureauReport(bureau="Fixed test bureau", score=701, tradelines=[], bureau_contact={"name": "Fixed"})


class NotABureau:
    pass
