"""What HMDA (Regulation C, 12 CFR 1003) needs that the application does not otherwise hold: each borrower's
ethnicity, race and sex with how they were collected. Values are the FFIEC filing instructions' codes, so the
Loan/Application Register writes them as stored. Age comes from the borrower's date of birth; the census tract
is on the subject property."""

from django.db import models

from origination.models.applications import Borrower

# Appendix B to Part 1003: the applicant may decline; "information not provided" is a code of its own.
NOT_PROVIDED = "not_provided"


class Ethnicity(models.TextChoices):
    HISPANIC = "1", "Hispanic or Latino"
    MEXICAN = "11", "Mexican"
    PUERTO_RICAN = "12", "Puerto Rican"
    CUBAN = "13", "Cuban"
    OTHER_HISPANIC = "14", "Other Hispanic or Latino"
    NOT_HISPANIC = "2", "Not Hispanic or Latino"


class Race(models.TextChoices):
    AMERICAN_INDIAN = "1", "American Indian or Alaska Native"
    ASIAN = "2", "Asian"
    ASIAN_INDIAN = "21", "Asian Indian"
    CHINESE = "22", "Chinese"
    FILIPINO = "23", "Filipino"
    JAPANESE = "24", "Japanese"
    KOREAN = "25", "Korean"
    VIETNAMESE = "26", "Vietnamese"
    OTHER_ASIAN = "27", "Other Asian"
    BLACK = "3", "Black or African American"
    PACIFIC_ISLANDER = "4", "Native Hawaiian or Other Pacific Islander"
    NATIVE_HAWAIIAN = "41", "Native Hawaiian"
    GUAMANIAN = "42", "Guamanian or Chamorro"
    SAMOAN = "43", "Samoan"
    OTHER_PACIFIC_ISLANDER = "44", "Other Pacific Islander"
    WHITE = "5", "White"


class Sex(models.TextChoices):
    MALE = "1", "Male"
    FEMALE = "2", "Female"


class Demographics(models.Model):
    """One borrower's government monitoring information. An empty list with ``*_declined`` means the applicant
    chose "I do not wish to provide this information"; ``*_observed`` means the lender collected it on the basis
    of visual observation or surname (an application taken in person, 1003 Appendix B)."""

    borrower = models.OneToOneField(Borrower, on_delete=models.CASCADE, related_name="demographics")
    ethnicity = models.JSONField(default=list, blank=True, help_text="Ethnicity codes, at most 5.")
    ethnicity_declined = models.BooleanField(default=False)
    ethnicity_observed = models.BooleanField(default=False)
    race = models.JSONField(default=list, blank=True, help_text="Race codes, at most 5.")
    race_declined = models.BooleanField(default=False)
    race_observed = models.BooleanField(default=False)
    sex = models.JSONField(default=list, blank=True, help_text="Sex codes: male, female or both.")
    sex_declined = models.BooleanField(default=False)
    sex_observed = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "demographics"

    def __str__(self) -> str:
        return f"Demographics of {self.borrower}"
