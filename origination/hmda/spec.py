"""The FFIEC HMDA filing instructions guide (data collected in 2018 and later): the transmittal sheet's and the
Loan/Application Register's fields in file order, the code sets the export fills, and what it writes for the data
points the project does not capture."""

from __future__ import annotations

# The edits read the states' FIPS codes here, with the rest of the specification (explicit re-export).
from origination.application_rules import STATE_FIPS as STATE_FIPS

TS_FIELDS = (
    "record_identifier",  # 1
    "institution_name",
    "calendar_year",
    "calendar_quarter",  # 4 for the annual filing
    "contact_name",
    "contact_phone",
    "contact_email",
    "office_street",
    "office_city",
    "office_state",
    "office_zip",
    "federal_agency",
    "total_lines",
    "tax_id",
    "lei",  # 15
)

_ETHNICITY_FIELDS = tuple(f"{who}_ethnicity_{n}" for who in ("applicant", "co_applicant") for n in range(1, 6))
LAR_FIELDS = (
    "record_identifier",  # 1
    "lei",
    "uli",
    "application_date",
    "loan_type",  # 5
    "loan_purpose",
    "preapproval",
    "construction_method",
    "occupancy_type",
    "loan_amount",  # 10
    "action_taken",
    "action_taken_date",
    "street_address",
    "city",
    "state",  # 15
    "zip_code",
    "county",
    "census_tract",
    *_ETHNICITY_FIELDS[:5],  # 19-23
    "applicant_ethnicity_other_text",  # 24
    *_ETHNICITY_FIELDS[5:],  # 25-29
    "co_applicant_ethnicity_other_text",  # 30
    "applicant_ethnicity_observed",
    "co_applicant_ethnicity_observed",
    *(f"applicant_race_{n}" for n in range(1, 6)),  # 33-37
    "applicant_race_tribe_text",
    "applicant_race_other_asian_text",
    "applicant_race_other_pacific_islander_text",  # 40
    *(f"co_applicant_race_{n}" for n in range(1, 6)),  # 41-45
    "co_applicant_race_tribe_text",
    "co_applicant_race_other_asian_text",
    "co_applicant_race_other_pacific_islander_text",
    "applicant_race_observed",
    "co_applicant_race_observed",  # 50
    "applicant_sex",
    "co_applicant_sex",
    "applicant_sex_observed",
    "co_applicant_sex_observed",
    "applicant_age",  # 55
    "co_applicant_age",
    "income",
    "type_of_purchaser",
    "rate_spread",
    "hoepa_status",  # 60
    "lien_status",
    "applicant_credit_score",
    "co_applicant_credit_score",
    "applicant_credit_score_model",
    "applicant_credit_score_model_text",  # 65
    "co_applicant_credit_score_model",
    "co_applicant_credit_score_model_text",
    *(f"denial_reason_{n}" for n in range(1, 5)),  # 68-71
    "denial_reason_other_text",
    "total_loan_costs",
    "total_points_and_fees",
    "origination_charges",  # 75
    "discount_points",
    "lender_credits",
    "interest_rate",
    "prepayment_penalty_term",
    "debt_to_income_ratio",  # 80
    "combined_loan_to_value_ratio",
    "loan_term",
    "introductory_rate_period",
    "balloon_payment",
    "interest_only_payments",  # 85
    "negative_amortization",
    "other_non_amortizing_features",
    "property_value",
    "manufactured_home_secured_property_type",
    "manufactured_home_land_property_interest",  # 90
    "total_units",
    "multifamily_affordable_units",
    "submission_of_application",
    "initially_payable_to_institution",
    "mlo_nmlsr_id",  # 95
    *(f"aus_{n}" for n in range(1, 6)),  # 96-100
    "aus_other_text",
    *(f"aus_result_{n}" for n in range(1, 6)),  # 102-106
    "aus_result_other_text",
    "reverse_mortgage",
    "open_end_line_of_credit",
    "business_or_commercial_purpose",  # 110
)


MIN_YEAR = 2018  # the 110-field format applies to data collected from 2018
MAX_YEAR = 9998  # a year whose next 1 January a date can still hold
NA = "NA"
EXEMPT = "Exempt"  # for text and number fields; coded fields take 1111 (1003.3(d) partial exemption)
EXEMPT_CODE = "1111"

# Action taken (1003.4(a)(8)): the codes the workflow can produce.
ORIGINATED, APPROVED_NOT_ACCEPTED, DENIED, WITHDRAWN, INCOMPLETE = "1", "2", "3", "4", "5"
ACTION_LABELS = {
    ORIGINATED: "Loan originated",
    APPROVED_NOT_ACCEPTED: "Application approved but not accepted",
    DENIED: "Application denied",
    WITHDRAWN: "Application withdrawn by applicant",
    INCOMPLETE: "File closed for incompleteness",
}
ACTION_CODES = {*ACTION_LABELS, "6", "7", "8"}

ETHNICITY_CODES = {"1", "11", "12", "13", "14", "2"}
ETHNICITY_NOT_PROVIDED, ETHNICITY_NO_CO_APPLICANT = "3", "5"
RACE_CODES = {"1", "2", "21", "22", "23", "24", "25", "26", "27", "3", "4", "41", "42", "43", "44", "5"}
RACE_NOT_PROVIDED, RACE_NO_CO_APPLICANT = "6", "8"
SEX_MALE, SEX_FEMALE, SEX_NOT_PROVIDED, SEX_NO_CO_APPLICANT, SEX_BOTH = "1", "2", "3", "5", "6"
OBSERVED, NOT_OBSERVED, OBSERVATION_NO_CO_APPLICANT = "1", "2", "4"
AGE_NO_CO_APPLICANT = "9999"

# Reg B Form C-1 principal reasons (origination.models.PrincipalReason) -> HMDA reasons for denial (1003.4(a)(16)):
# 1 debt-to-income, 2 employment history, 3 credit history, 4 collateral, 6 unverifiable information,
# 7 credit application incomplete, 9 other.
DENIAL_REASONS = {
    "excessive_obligations": "1",
    "insufficient_income": "1",
    "temporary_employment": "2",
    "length_of_employment": "2",
    "insufficient_credit_references": "3",
    "unacceptable_credit_references": "3",
    "no_credit_file": "3",
    "limited_credit_experience": "3",
    "poor_credit_performance_with_us": "3",
    "delinquent_obligations": "3",
    "collection_or_judgment": "3",
    "garnishment_or_attachment": "3",
    "foreclosure_or_repossession": "3",
    "bankruptcy": "3",
    "recent_inquiries": "3",
    "insufficient_collateral": "4",
    "unable_to_verify_credit_references": "6",
    "unable_to_verify_employment": "6",
    "unable_to_verify_income": "6",
    "unable_to_verify_residence": "6",
    "credit_application_incomplete": "7",
    "length_of_residence": "9",
    "temporary_residence": "9",
    "other": "9",
}
DENIAL_OTHER, DENIAL_NOT_APPLICABLE = "9", "10"

# What the project does not capture, written as the partial exemption's codes (1003.3(d)); the export page lists it.
NOT_CAPTURED = {
    "applicant_credit_score, co_applicant_credit_score": "1111 (Exempt): the score model is not recorded",
    "applicant_credit_score_model, co_applicant_credit_score_model": "1111 (Exempt)",
    "total_loan_costs, total_points_and_fees, origination_charges, discount_points, lender_credits": "Exempt",
    "debt_to_income_ratio, combined_loan_to_value_ratio": "Exempt: the ratios relied on are not kept per decision",
    "manufactured_home_secured_property_type, manufactured_home_land_property_interest": (
        "1111 (Exempt) for manufactured homes; 3 and 5 (not applicable) for site-built"
    ),
    "mlo_nmlsr_id": "Exempt: loan officers' NMLS ids are not recorded",
    "aus_1, aus_result_1": "1111 (Exempt): the automated underwriting system's name is not recorded",
}
# What the project writes from a fact about how it lends rather than from a field.
FIXED_FACTS = {
    "loan_type": "1 (conventional): no product is FHA, VA or USDA insured",
    "preapproval": "2 (not requested): there is no preapproval program",
    "type_of_purchaser": "0 (not applicable): loans are kept, not sold",
    "lien_status": "1 (first lien): mortgage products are first liens",
    "prepayment_penalty_term": "NA: no product has a prepayment penalty",
    "introductory_rate_period": "NA: every product is fixed rate",
    "negative_amortization, other_non_amortizing_features": "2 (no)",
    "multifamily_affordable_units": "NA: properties have 1 to 4 units",
    "submission_of_application, initially_payable_to_institution": "1 (direct, payable to the lender)",
    "reverse_mortgage, open_end_line_of_credit, business_or_commercial_purpose": "2 (no)",
}

FEDERAL_AGENCIES = {"1", "2", "3", "5", "7", "9"}
