"""The code systems an import understands: which vaccine, which test, which result.

Every list here is printed in docs/health-import.md; change both together. An Immunization
or Observation whose code is not listed is refused rather than skipped, because a dose or
a result dropped over a code we did not know silently changes someone's screening colour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from jejak.health.models import LabMethod, LabOutcome

NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"
LOINC_SYSTEM = "http://loinc.org"
SNOMED_SYSTEM = "http://snomed.info/sct"


@dataclass(frozen=True)
class Vaccine:
    product: str
    code: str = ""  # the CVX code when known
    # One dose completes the primary series (Janssen, and the other single-shot vectors).
    single_dose: bool = False


# CVX codes of COVID-19 vaccines (CDC's table, including its non-US codes). Variants of one
# product (paediatric, bivalent) share a name: the screening rules count doses, not
# formulations.
CVX: dict[str, Vaccine] = {
    code: Vaccine(product, code, single)
    for code, product, single in (
        ("207", "Moderna (Spikevax)", False),
        ("208", "Pfizer-BioNTech (Comirnaty)", False),
        ("210", "AstraZeneca (Vaxzevria)", False),
        ("211", "Novavax (Nuvaxovid)", False),
        ("212", "Janssen (Ad26.COV2.S)", True),
        ("213", "COVID-19, produk tidak diketahui", False),
        ("217", "Pfizer-BioNTech (Comirnaty)", False),
        ("218", "Pfizer-BioNTech (Comirnaty)", False),
        ("219", "Pfizer-BioNTech (Comirnaty)", False),
        ("221", "Moderna (Spikevax)", False),
        ("227", "Moderna (Spikevax)", False),
        ("228", "Moderna (Spikevax)", False),
        ("229", "Moderna (Spikevax)", False),
        ("230", "Moderna (Spikevax)", False),
        ("500", "COVID-19, produk tidak diketahui", False),
        ("502", "Covaxin", False),
        ("504", "Sputnik Light", True),
        ("505", "Sputnik V", False),
        ("506", "CanSino (Convidecia)", True),
        ("507", "Zifivax (ZF2001)", False),
        ("510", "Sinopharm (BBIBP-CorV)", False),
        ("511", "Sinovac (CoronaVac)", False),
        ("512", "Medicago (Covifenz)", False),
        ("513", "Zifivax (ZF2001)", False),
        ("516", "KCONVAC", False),
    )
}

# Names as they appear in displays, free text and Indonesian registers (KFA displays carry
# the brand). Matched against the text with everything but letters and digits removed,
# in this order, so "Sputnik Light" wins over "Sputnik" (whose first dose is also Ad26).
_NAMES: tuple[tuple[tuple[str, ...], Vaccine], ...] = (
    (("sinovac", "coronavac"), CVX["511"]),
    (("sinopharm", "bbibp"), CVX["510"]),
    (("astrazeneca", "vaxzevria", "chadox1", "azd1222", "covishield"), CVX["210"]),
    (("pfizer", "comirnaty", "bnt162"), CVX["208"]),
    (("moderna", "spikevax", "mrna1273"), CVX["207"]),
    (("novavax", "nuvaxovid", "covovax", "nvxcov2373"), CVX["211"]),
    (("sputniklight",), CVX["504"]),
    (("sputnik", "gamcovidvac"), CVX["505"]),
    (("janssen", "ad26cov2", "johnsonjohnson"), CVX["212"]),
    (("cansino", "convidecia", "ad5ncov"), CVX["506"]),
    (("zifivax", "zf2001"), CVX["513"]),
    (("covaxin", "bbv152"), CVX["502"]),
    (("indovac",), Vaccine("IndoVac")),
    (("inavac",), Vaccine("InaVac")),
    (("awcorna",), Vaccine("AWcorna")),
)

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def vaccine_by_cvx(code: str) -> Vaccine | None:
    return CVX.get(code.strip())


def vaccine_by_name(text: str) -> Vaccine | None:
    """The vaccine a product name or display names, or None."""
    squashed = _NOT_ALNUM.sub("", text.casefold())
    if not squashed:
        return None
    for names, vaccine in _NAMES:
        if any(name in squashed for name in names):
            return vaccine
    return None


def identify_vaccine(codings: Iterable[tuple[str, str, str]], text: str = "") -> Vaccine | None:
    """The COVID-19 vaccine named by (system, code, display) codings or free text.

    A CVX coding decides alone: a CVX code outside the table is some other vaccine (a
    measles dose must never count towards COVID-19). Without one, the displays and the
    text are matched against the product names.
    """
    codings = list(codings)
    for system, code, _display in codings:
        if system == CVX_SYSTEM:
            return vaccine_by_cvx(code)
    for _system, _code, display in codings:
        found = vaccine_by_name(display)
        if found is not None:
            return found
    return vaccine_by_name(text)


# SARS-CoV-2 LOINC codes by method. NAA (PCR and its kin) and rapid antigen tests only:
# antibody tests say nothing about a current infection, so they are refused.
LOINC_METHODS: dict[str, LabMethod] = {
    # RNA [Presence] by NAA with probe detection: respiratory specimen, any specimen,
    # saliva.
    "94500-6": LabMethod.PCR,
    "94309-2": LabMethod.PCR,
    "94845-5": LabMethod.PCR,
    # RNA [Presence] by NAA with non-probe detection: respiratory specimen, nasopharynx.
    "95608-6": LabMethod.PCR,
    "94565-9": LabMethod.PCR,
    # Ag [Presence] by (rapid) immunoassay: respiratory specimen (SARS-CoV-2; SARS-CoV
    # and SARS-CoV-2 together), upper respiratory specimen (rapid, and not rapid).
    "94558-4": LabMethod.ANTIGEN,
    "95209-3": LabMethod.ANTIGEN,
    "97097-0": LabMethod.ANTIGEN,
    "96119-3": LabMethod.ANTIGEN,
}

# SNOMED CT answers: "Detected"/"Not detected" (the usual NAA answers) and
# "Positive"/"Negative" (LOINC's example answers for the antigen codes).
SNOMED_OUTCOMES: dict[str, LabOutcome] = {
    "260373001": LabOutcome.POSITIVE,  # Detected
    "10828004": LabOutcome.POSITIVE,  # Positive
    "260415000": LabOutcome.NEGATIVE,  # Not detected
    "260385009": LabOutcome.NEGATIVE,  # Negative
}
