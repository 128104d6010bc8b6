"""Each context rule of the note reader, one clinical habit per test."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backcoder.notes import NoteReading

from .conftest import aside, offsets_exact, taken

Read = Callable[[str], NoteReading]


# ---------------------------------------------------------------- negation


@pytest.mark.parametrize(
    ("sentence", "quote"),
    [
        ("Denies radiating pain.", "radiating pain"),
        ("No radicular symptoms.", "radicular symptoms"),
        ("Denies numbness or tingling.", "numbness or tingling"),
        ("Lumbar spondylosis w/o radiculopathy.", "radiculopathy"),
    ],
)
def test_explicit_negation_of_nerve_signs_settles_nerve_none(
    read: Read, sentence: str, quote: str
) -> None:
    reading = read(f"HPI: Low back pain for 2 weeks. {sentence}")
    assert reading.record()["nerve"] == "none"
    assert ("none", quote) in taken(reading, "nerve")


@pytest.mark.parametrize(
    ("sentence", "quote"),
    [
        ("No injury.", "injury"),
        ("Denies trauma.", "trauma"),
        ("Insidious onset.", "Insidious onset"),
        ("Denies any fall or MVC.", "fall"),
        ("Onset 6 weeks ago, gradual. No known MOI.", "MOI"),
    ],
)
def test_explicit_negation_of_injury_settles_trauma_no(
    read: Read, sentence: str, quote: str
) -> None:
    reading = read(f"HPI: Low back pain for 2 weeks. {sentence}")
    assert reading.record()["trauma"] == "no"
    assert ("no", quote) in taken(reading, "trauma")


def test_a_negated_diagnosis_is_set_aside_not_taken(read: Read) -> None:
    reading = read("Assessment: Low back pain. No sciatica. No saddle anesthesia.")
    record = reading.record()
    assert record["nerve"] == "none"
    assert ("sciatica", "sciatica", "negated") in aside(reading, "nerve")
    assert ("cauda_equina", "saddle anesthesia", "negated") in aside(reading, "red_flags")
    assert "red_flags" not in record


def test_radiation_to_the_buttock_is_not_sciatica(read: Read) -> None:
    reading = read(
        "HPI: Low back pain; the pain radiates to the buttock.\nAssessment: Low back pain."
    )
    assert "nerve" not in reading.record()
    assert reading.record()["region"] == ["lumbar"]


def test_a_straight_leg_raise_is_an_exam_finding_not_a_diagnosis(read: Read) -> None:
    reading = read("Exam: Positive SLR on the left at 40 degrees.\nAssessment: Acute LBP.")
    record = reading.record()
    assert "nerve" not in record and "side" not in record
    assert record["pain_course"] == "acute"


# ---------------------------------------------------------------- history


def test_a_past_surgery_level_is_history_not_todays_disc(read: Read) -> None:
    text = (
        "HPI: Hx of L4-5 microdiscectomy 2015. Now axial low back pain.\nAssessment: Low back pain."
    )
    reading = read(text)
    assert ("lumbar", "L4-5", "historical") in aside(reading, "region")
    assert "condition" not in reading.record()


def test_a_herniation_in_the_past_is_not_coded_today(read: Read) -> None:
    reading = read("Assessment: Low back pain. History of L5-S1 HNP, resolved.")
    assert "condition" not in reading.record()
    assert any(reason in {"historical", "negated"} for _, _, reason in aside(reading, "condition"))


def test_past_medical_history_section_diagnoses_nothing(read: Read) -> None:
    reading = read("PMH: Lumbar spinal stenosis, HTN.\nAssessment: Neck pain.")
    assert "condition" not in reading.record()
    assert ("stenosis", "spinal stenosis", "historical") in aside(reading, "condition")


def test_status_post_a_fall_is_todays_mechanism(read: Read) -> None:
    reading = read("HPI: 81 yo F s/p mechanical fall from standing yesterday with back pain.")
    assert reading.record()["trauma"] == "yes"


# ---------------------------------------------------------------- hypothetical, rule-out


def test_rule_out_is_not_a_diagnosis(read: Read) -> None:
    reading = read("Assessment: Acute low back pain, r/o compression fracture.")
    assert "injury" not in reading.record()
    assert ("fracture", "fracture", "hypothetical") in aside(reading, "injury")


def test_a_conditional_plan_is_hypothetical(read: Read) -> None:
    reading = read("Plan: If pain persists, consider epidural steroid injection.")
    assert "reason" not in reading.record()
    assert aside(reading, "reason")[0][2] == "hypothetical"


def test_return_precautions_are_not_red_flags(read: Read) -> None:
    reading = read(
        "Assessment: Lumbar strain.\nPlan: Return to the ED if saddle anesthesia or urinary retention."
    )
    assert "red_flags" not in reading.record()
    assert {reason for _, _, reason in aside(reading, "red_flags")} == {"hypothetical"}


# ---------------------------------------------------------------- family, other person


def test_family_history_section_never_diagnoses(read: Read) -> None:
    reading = read("FH: Mother with degenerative disc disease.\nAssessment: Thoracic back pain.")
    assert "condition" not in reading.record()
    assert ("disc_degeneration", "degenerative disc disease", "family") in aside(
        reading, "condition"
    )


def test_a_relative_in_the_history_is_family(read: Read) -> None:
    reading = read(
        "HPI: Her mother has spinal stenosis. She has neck pain.\nAssessment: Cervicalgia."
    )
    assert "condition" not in reading.record()
    assert aside(reading, "condition")[0][2] == "family"


def test_someone_else_is_other_person(read: Read) -> None:
    reading = read("HPI: His coworker had sciatica last year. Assessment: Low back pain.")
    assert "nerve" not in reading.record()
    assert aside(reading, "nerve")[0][2] == "other_person"


# ---------------------------------------------------------------- review of systems


def test_review_of_systems_templates_diagnose_nothing(read: Read) -> None:
    text = (
        "ROS:\nConstitutional: Negative for fever, chills.\nMusculoskeletal: Positive for back pain.\n"
        "Neurological: Negative for numbness.\nAssessment: Acute low back pain."
    )
    reading = read(text)
    record = reading.record()
    assert "nerve" not in record and "red_flags" not in record
    reasons = {reason for _, _, reason in aside(reading)}
    assert reasons == {"review_of_systems"}


def test_ros_system_titles_outside_the_review_are_not_ros(read: Read) -> None:
    reading = read("Exam:\nNeuro: Strength 5/5.\nAssessment:\nNeuro: left L5 radiculopathy.")
    assert reading.record()["nerve"] == "radiculopathy"


# ---------------------------------------------------------------- sections and conflicts


def test_the_assessment_wins_over_the_hpi_and_the_conflict_is_reported(read: Read) -> None:
    text = "HPI: No trauma. Low back pain since Monday.\nAssessment: Lumbar strain after lifting."
    reading = read(text)
    record = reading.record()
    assert record["trauma"] == "yes" and record["injury"] == "strain"
    conflict = next(c for c in reading.conflicts if c.id == "trauma")
    assert (conflict.value, conflict.overridden, conflict.quote) == ("yes", "no", "trauma")
    assert text[conflict.start : conflict.end] == "trauma"


def test_symptoms_in_the_hpi_do_not_diagnose(read: Read) -> None:
    reading = read("HPI: Says she has sciatica.\nAssessment: Low back pain.")
    assert "nerve" not in reading.record()
    assert ("sciatica", "sciatica", "section") in aside(reading, "nerve")


def test_a_note_without_headings_is_read_whole(read: Read) -> None:
    reading = read("Chronic low back pain with right sciatica. No trauma.")
    record = reading.record()
    assert record == {
        "pain_course": "chronic",
        "trauma": "no",
        "region": ["lumbar"],
        "nerve": "sciatica",
        "lumbago": "yes",
        "side": "right",
    }


def test_acute_on_chronic_pain_is_chronic(read: Read) -> None:
    reading = read("Assessment: Acute on chronic low back pain.")
    assert reading.record()["pain_course"] == "chronic"
    assert any(c.id == "pain_course" and c.overridden == "acute" for c in reading.conflicts)


def test_chronic_pain_syndrome_only_in_those_words(read: Read) -> None:
    assert read("Assessment: Chronic pain syndrome.").record()["pain_course"] == (
        "chronic_pain_syndrome"
    )
    assert read("Assessment: Chronic low back pain.").record()["pain_course"] == "chronic"


# ---------------------------------------------------------------- abbreviations and levels


@pytest.mark.parametrize(
    ("text", "question", "value"),
    [
        ("Assessment: LBP.", "region", ["lumbar"]),
        ("Assessment: C-spine pain.", "region", ["cervical"]),
        ("Assessment: L-spine pain.", "region", ["lumbar"]),
        ("Assessment: LS spine pain.", "region", ["lumbosacral"]),
        ("Assessment: Right SI joint pain.", "region", ["sacroiliac"]),
        ("Assessment: Lumbar DDD.", "condition", "disc_degeneration"),
        ("Assessment: Lumbar DJD.", "condition", "spondylosis"),
        ("Assessment: L4-5 HNP.", "condition", "disc_displacement"),
        ("Assessment: Lumbar radiculopathy w/ L4-5 HNP.", "cause", "disc"),
        ("Assessment: Sciatica b/l.", "side", "bilateral"),
        ("Assessment: BLE radicular pain from lumbar stenosis.", "side", "bilateral"),
        ("HPI: Rear passenger in an MVC today.", "trauma", "yes"),
        ("Assessment: Lumbar DDD w/o radiculopathy.", "nerve", "none"),
    ],
)
def test_everyday_abbreviations(read: Read, text: str, question: str, value: object) -> None:
    assert read(text).record()[question] == value


@pytest.mark.parametrize("level", ["L4-5", "L4/L5", "L4-L5", "L4 - L5", "L4–5"])
def test_lumbar_levels_in_every_spelling(read: Read, level: str) -> None:
    reading = read(f"Assessment: Left radiculopathy from {level} disc herniation.")
    assert reading.record()["region"] == ["lumbar"]
    assert ("lumbar", level) in taken(reading, "region")


@pytest.mark.parametrize(
    ("level", "value"), [("C5-6", "C5-C6"), ("C6/C7", "C6-C7"), ("C4-C5", "C4-C5")]
)
def test_cervical_disc_levels(read: Read, level: str, value: str) -> None:
    record = read(f"Assessment: Cervical radiculopathy due to {level} disc herniation.").record()
    assert record["disc_level"] == value
    assert record["region"] == ["cervical"]
    assert record["cause"] == "disc"


def test_a_lumbosacral_level_refines_lumbar(read: Read) -> None:
    record = read("Assessment: Lumbar radiculopathy due to L5-S1 HNP.").record()
    assert record["region"] == ["lumbosacral"]


# ---------------------------------------------------------------- several problems


def test_separate_assessment_items_are_separate_problems(read: Read) -> None:
    text = (
        "HPI: Neck pain and low back pain with leg symptoms. Denies trauma.\n"
        "Assessment:\n1. Cervicalgia.\n2. Left L5 radiculopathy due to L4-5 HNP.\n"
        "Plan: PT for chronic symptoms."
    )
    reading = read(text)
    record = reading.record()
    assert record["trauma"] == "no"
    first, second = record["problems"]
    assert first == {"region": ["cervical"]}
    assert second["region"] == ["lumbar"]
    assert second["nerve"] == "radiculopathy" and second["cause"] == "disc"
    assert {e.problem for e in reading.evidence if e.id == "trauma"} == {None}


def test_items_opened_by_a_hash_are_sentences_of_their_own(read: Read) -> None:
    text = (
        "HPI: Neck pain and low back pain shooting down the R leg. No injury.\n"
        "Assessment and plan\n# Neck pain, no radicular symptoms\n"
        "# R L5 radiculopathy from L4-5 disc herniation\n- PT for the neck"
    )
    reading = read(text)
    neck, back = reading.record()["problems"]
    assert neck == {"region": ["cervical"], "nerve": "none"}
    assert back["nerve"] == "radiculopathy" and back["cause"] == "disc"
    assert back["side"] == "right"
    assert not any(value == "radiculopathy" for value, _, _ in aside(reading, "nerve"))


def test_a_clause_of_the_history_goes_with_the_site_it_names(read: Read) -> None:
    text = (
        "HPI: Two problems: (1) neck pain x 3 months, worse with computer work, no radiation to "
        "the arms, no hand numbness; (2) LBP with radiating pain down the L leg.\n"
        "Assessment:\n1. Cervicalgia.\n2. Left S1 radiculopathy due to L5-S1 HNP."
    )
    reading = read(text)
    neck, back = reading.record()["problems"]
    assert neck["nerve"] == "none"
    assert back["nerve"] == "radiculopathy"
    assert ("none", "no radiation") in [
        (e.value, e.quote) for e in reading.evidence if e.problem == 1
    ]
    assert not reading.conflicts


def test_a_fall_goes_with_the_fracture_not_with_the_disc_pain(read: Read) -> None:
    text = (
        "HPI: 81 yo F fell from standing 5 days ago; sharp mid-back pain since.\n"
        "Assessment:\n1. Osteoporotic compression fracture of T11.\n"
        "2. Chronic low back pain due to lumbar degenerative disc disease."
    )
    reading = read(text)
    record = reading.record()
    fracture, disc = record["problems"]
    assert "trauma" not in record and "trauma" not in disc
    assert fracture["trauma"] == "yes" and fracture["fracture_cause"] == "osteoporosis"
    assert ("yes", "fell") in [(e.value, e.quote) for e in reading.evidence if e.problem == 1]


def test_a_fall_stays_shared_when_every_problem_is_an_injury(read: Read) -> None:
    text = "HPI: Fell from a roof.\nAssessment:\n1. Cervical strain.\n2. Lumbar strain."
    record = read(text).record()
    assert record["trauma"] == "yes"
    assert [p["injury"] for p in record["problems"]] == ["strain", "strain"]


def test_two_fractured_vertebrae_are_two_problems(read: Read) -> None:
    text = "HPI: Fell from a ladder.\nAssessment: T12 and L1 compression fractures."
    record = read(text).record()
    problems = record["problems"]
    assert [(p["vertebra"], p["region"]) for p in problems] == [
        ("T12", ["thoracic"]),
        ("L1", ["lumbar"]),
    ]
    assert record["trauma"] == "yes"
    assert all(p["injury"] == "fracture" for p in problems)


def test_an_osteoporotic_fracture_does_not_imply_an_injury(read: Read) -> None:
    text = "HPI: No fall or trauma.\nAssessment: Osteoporotic compression fracture of L2."
    record = read(text).record()
    assert record["trauma"] == "no"
    assert record["fracture_cause"] == "osteoporosis"
    assert record["vertebra"] == "L2"


# ---------------------------------------------------------------- offsets


def test_offsets_are_code_points_in_non_ascii_text(read: Read) -> None:
    text = (
        "Patiënt’s note — résumé 🙂🙂\nHPI: Ça va. Naïve “LBP” since März; denies numbness or "
        "tingling. Ünfall? no.\nAssessment: Lumbar radiculopathy (L4–5 HNP) — “left” sciatica?"
    )
    reading = read(text)
    assert reading.evidence
    assert offsets_exact(text, reading)
    radiculopathy = next(e for e in reading.evidence if e.value == "radiculopathy")
    assert text.index("radiculopathy") == radiculopathy.start


def test_inline_numbered_items_and_right_greater_than_left(read: Read) -> None:
    record = read("A/P: 1) Sciatica, R > L 2) DJD L-spine 3) neck pain").record()
    first, second = record["problems"]
    assert first == {
        "region": ["lumbar"],
        "nerve": "sciatica",
        "condition": "spondylosis",
        "side": "bilateral",
    }
    assert second == {"region": ["cervical"]}


def test_ls_is_lumbosacral_and_a_negative_x_ray_is_no_fracture(read: Read) -> None:
    reading = read("Impression: LS strain w/o radiculopathy. No fx on XR.")
    assert reading.record() == {
        "trauma": "yes",
        "injury": "strain",
        "region": ["lumbosacral"],
        "nerve": "none",
    }
    assert ("fracture", "fx", "negated") in aside(reading, "injury")


def test_a_reading_is_json(read: Read) -> None:
    import json

    reading = read("HPI: Denies trauma.\nAssessment: 1. Cervicalgia. 2. Lumbar radiculopathy.")
    again = json.loads(json.dumps(reading.as_dict()))
    assert again["record"]["problems"][1]["nerve"] == "radiculopathy"
    assert {"problem", "id", "value", "quote", "start", "end", "section"} == set(
        again["evidence"][0]
    )


def test_two_fractures_in_a_note_without_headings_are_two_problems(read: Read) -> None:
    record = read("Fell down the stairs. T11 and L2 compression fractures.").record()
    assert [p["vertebra"] for p in record["problems"]] == ["T11", "L2"]


# ---------------------------------------------------------------- notes as clinicians write them


@pytest.mark.parametrize(
    ("sentence", "quote"),
    [
        ("Denies radic sx.", "radic sx"),
        ("DJD L-spine w/o radic.", "radic"),
        ("Pain is achy and nonradiating.", "nonradiating"),
        ("No radiating leg pain.", "radiating leg pain"),
        ("Cervicalgia, mechanical - no radicular sx.", "radicular sx"),
        ("Pt denies N/T.", "N/T"),
        ("Pain does not radiate.", "radiate"),
    ],
)
def test_abbreviated_denials_of_nerve_signs_settle_nerve_none(
    read: Read, sentence: str, quote: str
) -> None:
    reading = read(f"HPI: Low back pain for 2 weeks. {sentence}")
    assert reading.record()["nerve"] == "none"
    assert ("none", quote) in taken(reading, "nerve")


def test_a_diagnosis_ruled_out_after_it_is_named_is_negated(read: Read) -> None:
    text = "Final diagnosis: Acute thoracic back pain. Compression fracture ruled out."
    reading = read(text)
    record = reading.record()
    assert "injury" not in record and "fracture_type" not in record
    assert ("fracture", "fracture", "negated") in aside(reading, "injury")
    assert record["region"] == ["thoracic"] and offsets_exact(text, reading)


def test_cauda_equina_ruled_out_is_no_red_flag(read: Read) -> None:
    reading = read("Impression: Left L5 radiculopathy. Cauda equina syndrome ruled out.")
    assert "red_flags" not in reading.record()
    assert ("cauda_equina", "Cauda equina syndrome", "negated") in aside(reading, "red_flags")


@pytest.mark.parametrize(
    "plan",
    [
        "Return immediately for saddle numbness or urinary retention.",
        "Return to the ED for new bowel or bladder incontinence.",
        "Seek emergency care for saddle anesthesia.",
    ],
)
def test_return_for_in_the_plan_is_hypothetical(read: Read, plan: str) -> None:
    reading = read(f"Assessment: Lumbar strain.\nPlan: Ibuprofen. {plan}")
    assert "red_flags" not in reading.record()
    assert {reason for _, _, reason in aside(reading, "red_flags")} == {"hypothetical"}


def test_fall_prevention_is_no_fall(read: Read) -> None:
    reading = read(
        "Assessment: Chronic low back pain.\nPlan: PT for gait training and fall prevention."
    )
    assert "trauma" not in reading.record()
    assert ("yes", "fall", "hypothetical") in aside(reading, "trauma")


def test_a_friend_where_the_pain_began_is_not_the_one_in_pain(read: Read) -> None:
    reading = read("HPI: 3 days of LBP after helping a friend move furniture.")
    assert reading.record()["region"] == ["lumbar"]
    assert ("lumbar", "LBP") in taken(reading, "region")


def test_a_relative_giving_the_history_is_not_the_one_in_pain(read: Read) -> None:
    reading = read(
        "HPI: History obtained from pt's daughter. Per daughter, pt fell at home 2 days ago and "
        "has had low back pain since."
    )
    record = reading.record()
    assert record["trauma"] == "yes" and record["region"] == ["lumbar"]
    assert ("yes", "fell") in taken(reading, "trauma")
    assert not aside(reading)


def test_a_relatives_own_illness_is_still_family(read: Read) -> None:
    reading = read("HPI: Low back pain. Her daughter has sciatica.\nAssessment: Low back pain.")
    assert "nerve" not in reading.record()
    assert aside(reading, "nerve")[0][2] == "family"


def test_a_pain_course_written_after_the_pain(read: Read) -> None:
    reading = read("Assessment: Thoracic back pain, chronic, likely postural.")
    assert reading.record()["pain_course"] == "chronic"
    assert ("chronic", "pain, chronic") in taken(reading, "pain_course")


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("subsequent encounter for fracture with routine healing", "routine"),
        ("subsequent encounter, delayed healing", "delayed"),
        ("subsequent encounter for nonunion", "nonunion"),
    ],
)
def test_the_healing_of_a_fracture_is_read(read: Read, words: str, value: str) -> None:
    reading = read(f"Dx: T8 wedge compression fracture, {words}.")
    record = reading.record()
    assert record["healing"] == value and record["encounter"] == "subsequent"
    assert record["vertebra"] == "T8" and record["injury"] == "fracture"


def test_no_sign_of_nonunion_settles_no_healing(read: Read) -> None:
    reading = read("Assessment: L1 compression fracture, subsequent encounter. No nonunion.")
    assert "healing" not in reading.record()


def test_the_side_of_a_thoracic_back_wall_contusion(read: Read) -> None:
    reading = read("Dx: Contusion of left back wall of thorax, initial encounter.")
    record = reading.record()
    assert (record["injury"], record["side"], record["region"]) == (
        "contusion",
        "left",
        ["thoracic"],
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Assessment: R L5 radiculopathy.", "right"),
        ("Assessment: L S1 radiculopathy.", "left"),
        ("Treatment diagnosis: Low back pain with R LE radicular sx.", "right"),
    ],
)
def test_the_side_abbreviated_before_a_root(read: Read, text: str, value: str) -> None:
    assert read(text).record()["side"] == value


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("Dx: Lumbar strain, initial encounter.", "assessment"),
        ("Medical Dx: Lumbar strain", "assessment"),
        ("Pre-procedure diagnosis: Lumbar radiculopathy", "assessment"),
        ("Postoperative diagnosis: Lumbar radiculopathy", "assessment"),
        ("CLINICAL IMPRESSION\n1. Lumbar strain", "assessment"),
        ("IMPRESSION\nLumbar strain", "assessment"),
        ("Assessment and plan\n# Lumbar strain", "assessment"),
        ("S: Lumbar strain per the ED.", "hpi"),
        ("HISTORY OF PRESENT ILLNESS\nLumbar strain per the ED.", "hpi"),
        ("O: Lumbar paraspinal spasm.", "exam"),
    ],
)
def test_titles_as_templates_print_them(read: Read, text: str, section: str) -> None:
    evidence = read(text).evidence
    assert evidence and {e.section for e in evidence} == {section}


def test_a_one_word_title_only_alone_on_its_line(read: Read) -> None:
    reading = read("HPI: Low back pain.\nImpression of the patient is lumbar strain.")
    assert {e.section for e in reading.evidence} == {"hpi"}
    assert "injury" not in reading.record()


@pytest.mark.parametrize(
    "words", ["Closed wedge compression fracture of T7", "T7 wedge compression fracture, closed"]
)
def test_a_closed_fracture_in_other_words(read: Read, words: str) -> None:
    record = read(f"Assessment: {words}, initial encounter.").record()
    assert record["fracture_open"] == "no" and record["vertebra"] == "T7"


@pytest.mark.parametrize(
    "assessment",
    [
        "Findings consistent with L5 radiculopathy.",
        "Sx consistent w/ R L5 radiculopathy.",
        "Exam compatible with L5 radiculopathy.",
        "L5 radiculopathy, working diagnosis.",
    ],
)
def test_an_uncertain_diagnosis_is_not_coded(read: Read, assessment: str) -> None:
    reading = read(f"Assessment: Low back pain. {assessment}")
    assert "nerve" not in reading.record()
    assert ("radiculopathy", "radiculopathy", "hypothetical") in aside(reading, "nerve")


def test_continue_with_in_a_plan_keeps_the_diagnosis(read: Read) -> None:
    reading = read("Assessment: Right sciatica.\nPlan: c/w PT for sciatica, stable.")
    assert reading.record()["nerve"] == "sciatica"


# ---------------------------------------------------------------- fractures in osteoporosis


@pytest.mark.parametrize(
    ("assessment", "cause"),
    [
        # I.C.13.d.1: known osteoporosis and a fall that would not break a healthy bone
        ("L1 compression fracture in a patient with known osteoporosis.", "osteoporosis"),
        (
            "T12 fracture after a fall from standing height in a pt with osteoporosis.",
            "osteoporosis",
        ),
        ("L2 compression fracture due to osteoporosis.", "osteoporosis"),
        # trauma that would break a healthy bone keeps the fracture an injury
        ("L1 compression fracture after MVC in a patient with osteoporosis.", None),
        ("L1 fracture after a fall from a ladder, with osteoporosis.", None),
        ("L1 compression fracture. No osteoporosis.", None),
    ],
)
def test_a_fracture_in_a_patient_with_osteoporosis_is_osteoporotic_unless_high_energy(
    read: Read, assessment: str, cause: str | None
) -> None:
    reading = read(f"HPI: 80 yo F fell at home.\nAssessment: {assessment}")
    assert reading.record().get("fracture_cause") == cause


@pytest.mark.parametrize(
    ("complaint", "reason"),
    [
        ("Follow-up chronic LBP, pain medication refill.", "pain_management"),
        ("Here for opioid management of chronic low back pain.", "pain_management"),
        # any medication's management is not the pain's, nor another pain's refill
        ("Follow-up chronic LBP and diabetes, medication management.", None),
        ("Chronic LBP. Also asks for a pain medication refill for her knee arthritis.", None),
    ],
)
def test_a_visit_to_manage_pain_medication_is_for_pain_management(
    read: Read, complaint: str, reason: str | None
) -> None:
    reading = read(f"CC: {complaint}\nHPI: Chronic low back pain, no radiation.")
    assert reading.record().get("reason") == reason


@pytest.mark.parametrize("age", ["55-year-old man", "55 year old man", "55-year old woman"])
def test_an_age_is_not_an_old_finding(read: Read, age: str) -> None:
    reading = read(f"HPI: {age} with chronic low back pain for 2 years.")
    record = reading.record()
    assert record["pain_course"] == "chronic"
    assert record["region"] == ["lumbar"]


def test_an_old_fracture_is_history(read: Read) -> None:
    reading = read(
        "HPI: 60-year-old woman with back pain.\nAssessment: Old T12 compression fracture."
    )
    assert "injury" not in reading.record()
    assert ("fracture", "fracture", "historical") in aside(reading, "injury")
