"""HL7 FHIR R4 in and out: the tree as a Questionnaire, a QuestionnaireResponse as answers,
a result as a Bundle of Conditions.

The resources are built and validated with fhir.resources (its R4B models: the Questionnaire,
QuestionnaireResponse, Condition, Bundle and OperationOutcome resources are the same in R4
and R4B). It is an optional extra, imported only when FHIR is used, so every other run pays
nothing for it.
"""

from __future__ import annotations

from backcoder.errors import BackcoderError

ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
SDC_QUESTIONNAIRE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
INSTALL_HINT = "pip install 'backcoder[fhir]'"


class FhirError(BackcoderError):
    """A FHIR resource backcoder cannot read, or FHIR support that is not installed."""


def require_fhir() -> None:
    """Import the FHIR models, or say in one line how to install them."""
    try:
        import fhir.resources.R4B  # noqa: F401
    except ImportError:
        raise FhirError(
            f"FHIR output and input need the fhir.resources library: {INSTALL_HINT}"
        ) from None


def rules_url(name: str) -> str:
    """The canonical URL of a rule set's Questionnaire, derived from the rule set's name (a
    URN: backcoder owns no web address to put there). Its questions' answers are coded in
    `answer_system(name, question)`."""
    return f"urn:backcoder:rules:{name}"


def answer_system(name: str, question: str) -> str:
    """The code system of one question's answers: the codes are the answer values, which
    are stable (the public vocabulary), so one system per question keeps `yes` of `trauma`
    apart from `yes` of `fracture_open`."""
    return f"{rules_url(name)}:{question}"
