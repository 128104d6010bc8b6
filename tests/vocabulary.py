"""The public answer vocabulary (shared spec answers.md, conditions.md, encounters.md): an
API, never renamed."""

SPINE_REGIONS = [
    "occipito_atlanto_axial",
    "cervical",
    "cervicothoracic",
    "thoracic",
    "thoracolumbar",
    "lumbar",
    "lumbosacral",
    "sacral",
    "sacroiliac",
    "coccygeal",
    "not_documented",
]
VERTEBRAE = [f"T{n}" for n in range(1, 13)] + [f"L{n}" for n in range(1, 6)] + ["not_documented"]

PUBLIC_VOCABULARY: dict[str, list[str]] = {
    "trauma": ["yes", "no", "not_documented"],
    "injury": ["strain", "sprain", "fracture", "contusion", "not_documented"],
    "region": SPINE_REGIONS,
    "vertebra": VERTEBRAE,
    "fracture_type": [
        "wedge_compression",
        "stable_burst",
        "unstable_burst",
        "other",
        "not_documented",
    ],
    "fracture_open": ["yes", "no", "not_documented"],
    "encounter": ["initial", "subsequent", "sequela"],
    "healing": ["routine", "delayed", "nonunion"],
    "side": ["right", "left", "bilateral", "not_documented"],
    "attribution": ["psychological", "neoplasm", "none"],
    "nerve": ["radiculopathy", "sciatica", "none", "not_documented"],
    "cause": ["disc", "spondylosis", "none"],
    "disc_level": ["C2-C3", "C3-C4", "C4-C5", "C5-C6", "C6-C7", "C7-T1", "not_documented"],
    "lumbago": ["yes", "no"],
    "lumbar_cause": [
        "disc_displacement",
        "disc_degeneration",
        "vertebrogenic",
        "other",
        "not_documented",
    ],
    "leg_pain": ["yes", "no"],
    "pain_course": ["acute", "chronic", "chronic_pain_syndrome", "not_documented"],
    "reason": ["pain_management", "other"],
    # conditions.md
    "condition": [
        "spondylosis",
        "stenosis",
        "disc_displacement",
        "disc_degeneration",
        "sacroiliitis",
        "none",
        "not_documented",
    ],
    "claudication": ["yes", "no", "not_documented"],
    # encounters.md, fractures that are not injuries
    "fracture_cause": [
        "injury",
        "osteoporosis",
        "osteoporosis_other",
        "neoplasm",
        "other_disease",
        "fatigue",
        "collapsed",
        "none",
        "not_documented",
    ],
}
MULTI_VALUED = {"region"}
