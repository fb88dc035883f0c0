"""Data the matcher reads: clinical concepts with synonyms, lab analytes, scores, units.

Each concept is a short id with the phrases that name it (lower case; matched on
token boundaries). The same lexicon reads criteria, notes and coded records (a
condition's display text is matched against it), so "type 2 diabetes" in a criterion
and "Diabetes mellitus type 2 (disorder)" in a FHIR Condition meet at ``t2dm``.
Codes: SNOMED CT (Synthea) and ICD-10 prefixes where a record carries them.
"""

from __future__ import annotations

__all__ = [
    "CONCEPTS",
    "CORE_CONCEPTS",
    "CONCEPT_CODES",
    "LABS",
    "SCORES",
    "UNIT_ALIASES",
    "BROADER",
    "concepts_in_text",
]

import re
from functools import lru_cache

#: The hand-curated core: common conditions with the synonyms criteria and notes use.
CORE_CONCEPTS: dict[str, tuple[str, ...]] = {
    "parkinson": (
        "parkinson's disease",
        "parkinson disease",
        "parkinsons disease",
        "parkinson's",
        "parkinsonism",
        "parkinson",
    ),
    "alzheimer": (
        "alzheimer's disease",
        "alzheimer disease",
        "alzheimer's",
        "alzheimer",
        "probable ad",
        "alzheimer type",
    ),
    "dementia": ("dementia", "major neurocognitive disorder"),
    "cognitive_impairment": ("mild cognitive impairment", "cognitive impairment", "mci"),
    "hcv": ("hepatitis c", "hcv", "chronic hepatitis c", "hcv infection", "hcv rna", "anti-hcv"),
    "hbv": ("hepatitis b", "hbv", "hbsag", "hepatitis b surface antigen", "chronic hepatitis b"),
    "hiv": ("hiv", "human immunodeficiency virus", "acquired immunodeficiency syndrome", "hiv infection", "hiv-1"),
    "depression": (
        "major depressive disorder",
        "major depression",
        "depression",
        "depressive disorder",
        "depressive episode",
        "mdd",
        "depressed mood",
        "depressed",
        "depressive disorders",
    ),
    "bipolar": ("bipolar disorder", "bipolar", "manic episode", "manic episodes", "mania"),
    "schizophrenia": ("schizophrenia", "schizoaffective", "psychotic disorder", "psychosis"),
    "anxiety": ("anxiety disorder", "generalized anxiety disorder", "panic disorder", "anxiety"),
    "ptsd": ("post-traumatic stress disorder", "ptsd"),
    "suicidality": ("suicidal ideation", "suicide attempt", "suicidal"),
    "substance_abuse": ("substance abuse", "drug abuse", "substance use disorder", "drug dependence", "illicit drug"),
    "alcohol_abuse": ("alcohol abuse", "alcohol dependence", "alcoholism", "alcohol use disorder"),
    "obesity": ("obesity", "obese", "morbid obesity", "overweight"),
    "asthma": ("asthma", "asthmatic"),
    "copd": ("copd", "chronic obstructive pulmonary disease", "emphysema", "chronic bronchitis"),
    "cervical_cancer": ("cervical cancer", "carcinoma of the cervix", "cervical carcinoma", "cancer of the cervix"),
    "hpv": ("hpv", "human papillomavirus", "papillomavirus"),
    "cin": ("cervical intraepithelial neoplasia", "cin", "cin2", "cin3", "abnormal pap", "pap smear abnormal"),
    "breast_cancer": ("breast cancer", "carcinoma of breast", "breast carcinoma"),
    "lung_cancer": ("lung cancer", "non-small cell lung cancer", "nsclc", "small cell lung cancer", "lung carcinoma"),
    "prostate_cancer": ("prostate cancer", "prostate carcinoma", "carcinoma of prostate"),
    "colorectal_cancer": ("colorectal cancer", "colon cancer", "rectal cancer"),
    "glioma": ("glioma", "astrocytoma", "glioblastoma", "anaplastic astrocytoma", "oligodendroglioma", "gbm"),
    "lymphoma": ("lymphoma", "hodgkin", "non-hodgkin lymphoma"),
    "leukemia": ("leukemia", "leukaemia", "acute myeloid leukemia", "chronic lymphocytic leukemia"),
    "malignancy": (
        "malignancy",
        "malignant disease",
        "malignant tumor",
        "malignant neoplasm",
        "cancer",
        "carcinoma",
        "neoplasm",
        "tumor",
        "tumour",
        "metastatic",
        "sarcoma",
        "melanoma",
    ),
    "t1dm": (
        "type 1 diabetes",
        "type i diabetes",
        "insulin dependent diabetes",
        "insulin-dependent diabetes",
        "t1dm",
        "iddm",
    ),
    "t2dm": (
        "type 2 diabetes",
        "type ii diabetes",
        "t2dm",
        "non-insulin dependent diabetes",
        "diabetes mellitus type 2",
    ),
    "diabetes": ("diabetes mellitus", "diabetes", "diabetic"),
    "prediabetes": ("prediabetes", "impaired glucose tolerance", "insulin resistance"),
    "hypertension": ("hypertension", "high blood pressure", "htn", "hypertensive"),
    "heart_failure": ("heart failure", "congestive heart failure", "chf", "cardiac failure"),
    "mi": ("myocardial infarction", "heart attack", "mi", "stemi", "nstemi"),
    "cad": ("coronary artery disease", "coronary heart disease", "ischemic heart disease", "angina", "cad"),
    "stroke": ("stroke", "cerebrovascular accident", "cva", "transient ischemic attack", "tia", "cerebral infarction"),
    "arrhythmia": ("atrial fibrillation", "arrhythmia", "atrial flutter", "ventricular tachycardia"),
    "syncope": ("syncope", "fainting", "loss of consciousness"),
    "epilepsy": ("epilepsy", "seizure", "seizures", "convulsive disorder", "convulsions", "seizure disorder"),
    "migraine": ("migraine", "headache"),
    "ms": ("multiple sclerosis",),
    "neuro_serious": (
        "huntington",
        "huntington's disease",
        "multiple sclerosis",
        "brain tumor",
        "subdural hematoma",
        "normal pressure hydrocephalus",
    ),
    "ckd": (
        "chronic kidney disease",
        "renal failure",
        "renal insufficiency",
        "kidney failure",
        "renal impairment",
        "ckd",
        "end-stage renal disease",
        "dialysis",
    ),
    "liver_disease": (
        "cirrhosis",
        "liver disease",
        "hepatic impairment",
        "hepatic insufficiency",
        "liver failure",
        "decompensated liver disease",
        "hepatocellular carcinoma",
    ),
    "thyroid": ("hypothyroidism", "hyperthyroidism", "thyroid disease", "thyroid disorder"),
    "rheumatoid": ("rheumatoid arthritis", "lupus", "systemic lupus erythematosus", "autoimmune disease"),
    "ibd": ("crohn's disease", "crohn disease", "ulcerative colitis", "inflammatory bowel disease"),
    "tb": ("tuberculosis", "tb"),
    "pneumonia": ("pneumonia",),
    "sepsis": ("sepsis", "septic shock"),
    "anemia": ("anemia", "anaemia"),
    "bleeding": ("bleeding disorder", "bleeding tendency", "bleeding diathesis", "hemophilia", "coagulopathy"),
    "thrombosis": ("deep vein thrombosis", "pulmonary embolism", "thrombosis", "dvt", "venous thromboembolism"),
    "glaucoma": ("glaucoma",),
    "sleep_apnea": ("sleep apnea", "obstructive sleep apnea", "osa"),
    "insomnia": ("insomnia",),
    "pcos": ("polycystic ovary syndrome", "pcos", "polycystic ovarian syndrome"),
    "infertility": ("infertility",),
    "osteoporosis": ("osteoporosis",),
    "osteoarthritis": ("osteoarthritis",),
    "dyskinesia": ("dyskinesia", "dyskinesias", "levodopa-induced dyskinesia"),
    "tremor": ("tremor", "essential tremor"),
    "smoking": ("smoker", "smoking", "tobacco use", "cigarettes", "tobacco abuse"),
    "pregnancy": ("pregnant", "pregnancy"),
    "lactation": ("lactating", "breastfeeding", "breast-feeding", "nursing"),
    "transplant": ("organ transplant", "transplantation", "transplant recipient"),
    "psoriasis": ("psoriasis",),
    "atopic_dermatitis": ("atopic dermatitis", "eczema"),
    "allergic_rhinitis": ("allergic rhinitis", "hay fever"),
    "kidney_stone": ("nephrolithiasis", "kidney stone", "kidney stones"),
    "hemorrhage": ("subarachnoid hemorrhage", "intracranial hemorrhage", "hemorrhage", "aneurysm"),
}

#: Narrower concept -> broader ones it implies (a patient with t2dm has diabetes).
CORE_BROADER: dict[str, tuple[str, ...]] = {
    "t1dm": ("diabetes",),
    "t2dm": ("diabetes",),
    "cervical_cancer": ("malignancy",),
    "breast_cancer": ("malignancy",),
    "lung_cancer": ("malignancy",),
    "prostate_cancer": ("malignancy",),
    "colorectal_cancer": ("malignancy",),
    "glioma": ("malignancy",),
    "lymphoma": ("malignancy",),
    "leukemia": ("malignancy",),
    "alzheimer": ("dementia",),
    "mi": ("cad",),
    "ms": ("neuro_serious",),
}

#: Code -> concept (SNOMED CT as in Synthea; ICD-10 three-character prefixes).
CORE_CODES: dict[str, str] = {
    "49436004": "arrhythmia",
    "53741008": "cad",
    "22298006": "mi",
    "230690007": "stroke",
    "44054006": "t2dm",
    "46635009": "t1dm",
    "38341003": "hypertension",
    "59621000": "hypertension",
    "195967001": "asthma",
    "13645005": "copd",
    "162864005": "obesity",
    "408512008": "obesity",
    "35489007": "depression",
    "370143000": "depression",
    "26929004": "alzheimer",
    "49049000": "parkinson",
    "86406008": "hiv",
    "128302006": "hcv",
    "66071002": "hbv",
    "84757009": "epilepsy",
    "271825005": "syncope",
    "88805009": "heart_failure",
    "709044004": "ckd",
    "G30": "alzheimer",
    "G20": "parkinson",
    "B20": "hiv",
    "F32": "depression",
    "F33": "depression",
    "E66": "obesity",
    "J45": "asthma",
    "E11": "t2dm",
    "E10": "t1dm",
    "I10": "hypertension",
    "C53": "cervical_cancer",
}


def _widened() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], dict[str, str]]:
    """Core lexicon plus the generated one (:mod:`.diagnoses`): concepts, broader (closed), codes."""
    from pharmakon.trials.matching.diagnoses import load

    data = load()
    concepts = {k: tuple(v) for k, v in CORE_CONCEPTS.items()}
    codes = dict(CORE_CODES)
    for cid, ext in data["extend"].items():
        if cid in concepts:
            concepts[cid] += tuple(n for n in ext["names"] if n not in concepts[cid])
            for code in ext["codes"]:
                codes.setdefault(code, cid)
    broader = {k: set(v) for k, v in CORE_BROADER.items()}
    for cid, ext in data["extend"].items():
        broader.setdefault(cid, set()).update(ext.get("broader", ()))
    for cid, c in data["concepts"].items():
        concepts[cid] = tuple(c["names"])
        broader[cid] = set(c["broader"])
        for code in c["codes"]:
            if not code.startswith("DOID:"):
                codes.setdefault(code, cid)
    changed = True
    while changed:  # transitive closure: diabetic retinopathy -> diabetes; t2dm -> diabetes
        changed = False
        for b in broader.values():
            more = set().union(*(broader.get(x, set()) for x in b)) - b if b else set()
            if more:
                b |= more
                changed = True
    return concepts, {k: tuple(sorted(v)) for k, v in broader.items() if v}, codes


#: Every concept: the core and the generated diagnosis lexicon (:mod:`.diagnoses`).
CONCEPTS, BROADER, CONCEPT_CODES = _widened()

#: Lab analytes: id -> (names, canonical unit, codes: LOINC and SDTM LBTESTCD).
LABS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "hba1c": (
        ("hba1c", "hemoglobin a1c", "haemoglobin a1c", "glycosylated hemoglobin", "glycated hemoglobin", "a1c"),
        "percent",
        ("4548-4", "HBA1C"),
    ),
    "creatinine": (("serum creatinine", "creatinine"), "mg/dL", ("2160-0", "38483-4", "CREAT")),
    "bilirubin": (("total bilirubin", "serum bilirubin", "bilirubin"), "mg/dL", ("1975-2", "BILI")),
    "ast": (("aspartate aminotransferase", "sgot", "ast"), "U/L", ("1920-8", "AST")),
    "alt": (("alanine aminotransferase", "sgpt", "alt"), "U/L", ("1742-6", "ALT")),
    "hemoglobin": (("hemoglobin", "haemoglobin", "hgb", "hb"), "g/dL", ("718-7", "HGB")),
    "hematocrit": (("hematocrit", "haematocrit", "hct"), "percent", ("4544-3", "HCT")),
    "platelets": (("platelet count", "platelets", "plt"), "1e9/L", ("777-3", "PLAT")),
    "anc": (("absolute neutrophil count", "anc", "neutrophils", "neutrophil count"), "1e9/L", ("751-8", "NEUT")),
    "wbc": (
        ("white blood cell count", "white blood cells", "wbc", "leukocytes", "leukocyte count"),
        "1e9/L",
        ("6690-2", "WBC"),
    ),
    "egfr": (
        ("estimated glomerular filtration rate", "egfr", "glomerular filtration rate", "gfr", "creatinine clearance"),
        "mL/min",
        ("33914-3", "62238-1", "EGFR", "CREATCLR"),
    ),
    "glucose": (
        ("fasting plasma glucose", "fasting glucose", "blood glucose", "glucose"),
        "mg/dL",
        ("2345-7", "1558-6", "GLUC"),
    ),
    "bmi": (("body mass index", "bmi"), "kg/m**2", ("39156-5", "BMI")),
    "tsh": (("thyroid stimulating hormone", "tsh", "thyroid function"), "mIU/L", ("3016-3", "TSH")),
    "b12": (("vitamin b12", "vitamin b-12", "b12", "cobalamin"), "pmol/L", ("2132-9", "VITB12")),
    "folate": (("folate", "folic acid"), "nmol/L", ("2284-8", "FOLATE")),
    "albumin": (("serum albumin", "albumin"), "g/dL", ("1751-7", "ALB")),
    "alp": (("alkaline phosphatase", "alp"), "U/L", ("6768-6", "ALP")),
    "potassium": (("potassium",), "mmol/L", ("2823-3", "K")),
    "sodium": (("sodium",), "mmol/L", ("2951-2", "SODIUM")),
    "inr": (("inr", "international normalized ratio"), "dimensionless", ("6301-6", "INR")),
    "ldl": (("ldl cholesterol", "ldl-c", "ldl"), "mg/dL", ("2089-1", "LDL")),
    "cholesterol": (("total cholesterol", "cholesterol"), "mg/dL", ("2093-3", "CHOL")),
    "sbp": (("systolic blood pressure", "systolic bp", "sbp", "systolic"), "mmHg", ("8480-6", "SYSBP")),
    "dbp": (("diastolic blood pressure", "diastolic bp", "dbp", "diastolic"), "mmHg", ("8462-4", "DIABP")),
    "weight": (("body weight", "weight"), "kg", ("29463-7", "WEIGHT")),
    "viral_load": (("hiv viral load", "viral load", "hiv rna", "hiv-1 rna"), "1/mL", ("20447-9", "25836-8")),
}

#: Questionnaire and performance scores: id -> (names, codes).
SCORES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mmse": (
        ("mini-mental state examination", "mini-mental state exam", "mini mental state", "mini-mental state", "mmse"),
        ("72106-8", "MMSE", "MMTOT"),
    ),
    "hachinski": (
        ("modified hachinski ischemic scale", "modified hachinski ischemic score", "hachinski ischemic", "hachinski"),
        ("HACHINSKI", "MHTOT"),
    ),
    "ecog": (("ecog performance status", "ecog ps", "ecog", "zubrod", "who performance status"), ("89247-1", "ECOG")),
    "karnofsky": (
        ("karnofsky performance status", "karnofsky performance score", "karnofsky", "kps"),
        ("89243-0", "KARNOFSKY"),
    ),
    "hamd": (
        ("hamilton depression rating scale", "hamilton rating scale for depression", "ham-d", "hamd", "hdrs", "hrsd"),
        ("HAMD",),
    ),
    "madrs": (("montgomery-asberg depression rating scale", "madrs"), ("MADRS",)),
    "phq9": (("patient health questionnaire-9", "phq-9", "phq9"), ("44261-6", "PHQ9")),
    "adas_cog": (("adas-cog", "adas cog", "alzheimer's disease assessment scale"), ("ACTOT",)),
    "updrs": (("unified parkinson's disease rating scale", "mds-updrs", "updrs"), ("UPDRS",)),
    "hoehn_yahr": (("hoehn and yahr", "hoehn & yahr", "hoehn-yahr", "h&y"), ("HOEHNYAHR",)),
    "gcs": (("glasgow coma scale", "gcs"), ("9269-2",)),
    "fev1": (("fev1 % predicted", "fev1", "forced expiratory volume"), ("20150-9",)),
}

#: Unit spellings in criteria and records -> pint expressions.
UNIT_ALIASES: dict[str, str] = {
    "%": "percent",
    "mg%": "mg/dL",
    "gm%": "g/dL",
    "g%": "g/dL",
    "gm/dl": "g/dL",
    "mg/dl": "mg/dL",
    "g/dl": "g/dL",
    "g/l": "g/L",
    "mmol/l": "mmol/L",
    "umol/l": "umol/L",
    "µmol/l": "umol/L",
    "μmol/l": "umol/L",
    "pmol/l": "pmol/L",
    "nmol/l": "nmol/L",
    "ng/ml": "ng/mL",
    "pg/ml": "pg/mL",
    "u/l": "U/L",
    "iu/l": "U/L",
    "miu/l": "mIU/L",
    "uiu/ml": "mIU/L",
    "µiu/ml": "mIU/L",
    "/mm3": "1/mm**3",
    "/mm^3": "1/mm**3",
    "cells/mm3": "1/mm**3",
    "cells/mm^3": "1/mm**3",
    "/ul": "1/uL",
    "/µl": "1/uL",
    "/μl": "1/uL",
    "cells/ul": "1/uL",
    "x10^9/l": "1e9/L",
    "x 10^9/l": "1e9/L",
    "10^9/l": "1e9/L",
    "x10e9/l": "1e9/L",
    "10*9/l": "1e9/L",
    "10*3/ul": "1e3/uL",
    "10^3/ul": "1e3/uL",
    "x10^3/ul": "1e3/uL",
    "k/ul": "1e3/uL",
    "ml/min": "mL/min",
    "ml/min/1.73m2": "mL/min",
    "ml/min/1.73 m2": "mL/min",
    "ml/min/1.73m^2": "mL/min",
    "kg/m2": "kg/m**2",
    "kg/m^2": "kg/m**2",
    "kg/m²": "kg/m**2",
    "mmhg": "mmHg",
    "mm hg": "mmHg",
    "kg": "kg",
    "lb": "lb",
    "lbs": "lb",
    "copies/ml": "1/mL",
    "msec": "ms",
    "ms": "ms",
}


def concepts_in_text(text: str) -> set[str]:
    """Lexicon concepts named in ``text`` (whole words, case-insensitive; no context).

    Every run of up to the longest phrase's length of the text's words is looked up in
    one table (the same result as a whole-word search of every phrase, in time linear in
    the text instead of in the lexicon's ~1,000 phrases).
    """
    table, longest = _phrase_table()
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    found: set[str] = set()
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + longest) + 1):
            hit = table.get(" ".join(words[i:j]))
            if hit:
                found |= hit
    return found


@lru_cache(maxsize=1)
def _phrase_table() -> tuple[dict[str, frozenset[str]], int]:
    """Normalised phrase -> the concepts it names, and the longest phrase in words."""
    table: dict[str, set[str]] = {}
    for c, phrases in CONCEPTS.items():
        for p in phrases:
            key = " ".join(re.sub(r"[^a-z0-9]+", " ", p.lower()).split())
            if key:
                table.setdefault(key, set()).add(c)
    longest = max((len(k.split()) for k in table), default=1)
    return {k: frozenset(v) for k, v in table.items()}, longest
