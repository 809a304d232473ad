"""A year's HMDA export: the file, its edit results, and the summary the staff page shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from origination.hmda import spec
from origination.hmda.edits import EditError, lar_edits
from origination.hmda.lar import LarFile, lar_build
from origination.selectors.hmda import hmda_applications


@dataclass(frozen=True)
class HmdaReport:
    lar: LarFile
    errors: list[EditError]
    application_ids: dict[str, int] = field(default_factory=dict)  # number -> pk, to link each error

    @property
    def is_clean(self) -> bool:
        return not self.errors

    @property
    def errors_by_application(self) -> list[tuple[str, int | None, list[EditError]]]:
        grouped: dict[str, list[EditError]] = {}
        for error in self.errors:
            grouped.setdefault(error.application, []).append(error)
        return [(number, self.application_ids.get(number), errors) for number, errors in grouped.items()]

    @property
    def actions(self) -> list[tuple[str, str, int]]:
        """(code, label, rows) per action taken in the file, by code."""
        counts = Counter(row.fields["action_taken"] for row in self.lar.rows)
        return [(code, spec.ACTION_LABELS.get(code, code), counts[code]) for code in sorted(counts)]

    @property
    def filename(self) -> str:
        return f"{self.lar.transmittal['lei']}_{self.lar.year}_LAR.txt"


def hmda_report(*, year: int) -> HmdaReport:
    """Build ``year``'s Loan/Application Register and run the edits on it."""
    applications = hmda_applications(year=year)
    lar = lar_build(applications, year=year)
    return HmdaReport(lar=lar, errors=lar_edits(lar), application_ids={a.number: a.pk for a in applications})
