"""SDTM -> FHIR: the CDISC pilot subjects as FHIR resources, read back by the FHIR reader."""

from __future__ import annotations

import pandas as pd

from pharmakon.patients.records.fhir import read_fhir
from pharmakon.patients.records.sdtm import sdtm_to_fhir, write_ndjson

SUBJECTS = ["01-701-1015", "01-701-1023", "01-701-1028"]


def test_converted_subjects_read_back(cdisc_sdtm, tmp_path) -> None:
    resources = sdtm_to_fhir(cdisc_sdtm, subjects=SUBJECTS)
    assert len(resources["Patient"]) == 3
    write_ndjson(resources, tmp_path)
    records = {r.patient_id: r for r in read_fhir(tmp_path)}
    adsl = pd.read_csv(cdisc_sdtm.parent / "adam" / "adsl.csv").set_index("USUBJID")
    dm = pd.read_csv(cdisc_sdtm / "dm.csv").set_index("USUBJID")
    for sid in SUBJECTS:
        rec = records[sid]
        mmse = next(o for o in rec.observations if o.code == "MMTOT")
        assert mmse.value == adsl.loc[sid, "MMSETOT"]  # derived total equals the ADaM value
        assert rec.sex == {"M": "male", "F": "female"}[dm.loc[sid, "SEX"]]
        assert abs(rec.age() - dm.loc[sid, "AGE"]) < 1.0  # age at screening vs AGE at first dose
        assert any("ALZHEIMER" in c.display for c in rec.conditions)
        labs = [o for o in rec.observations if o.code == "CREAT"]
        assert labs and labs[0].high is not None and labs[0].unit
