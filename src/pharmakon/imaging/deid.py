"""DICOM de-identification, Basic Application Level Confidentiality Profile (PS3.15 Annex E).

:func:`deidentify` applies the profile's actions to a pydicom dataset in place, before
anything is stored or converted: ``X`` remove, ``Z`` empty, ``D`` replace with a dummy
value, ``U`` replace a UID with a new one derived (``pydicom.uid.generate_uid`` with
entropy) from the original, so references inside one study stay consistent. Private
tags are removed (pydicom's ``remove_private_tags``), sequences are cleaned
recursively, and the profile's marks are set (Patient Identity Removed ``YES``,
De-identification Method Code Sequence ``113100``). The action table covers the
attributes of Table E.1-1 that the test files and common CT/MR/SEG/RT objects carry;
the returned list names what was touched (keywords only: values are never returned).
"""

from __future__ import annotations

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

__all__ = ["ACTIONS", "deidentify", "PROFILE_CODE"]

PROFILE_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")

#: keyword -> action (PS3.15 Table E.1-1, Basic Profile column).
ACTIONS: dict[str, str] = {
    # patient
    "PatientName": "Z",
    "PatientID": "Z",
    "PatientBirthDate": "Z",
    "PatientBirthTime": "X",
    "PatientSex": "Z",
    "PatientAge": "X",
    "PatientSize": "X",
    "PatientWeight": "X",
    "PatientAddress": "X",
    "PatientTelephoneNumbers": "X",
    "PatientMotherBirthName": "X",
    "OtherPatientIDs": "X",
    "OtherPatientNames": "X",
    "OtherPatientIDsSequence": "X",
    "PatientBirthName": "X",
    "MilitaryRank": "X",
    "EthnicGroup": "X",
    "Occupation": "X",
    "AdditionalPatientHistory": "X",
    "PatientComments": "X",
    "MedicalRecordLocator": "X",
    "PatientInsurancePlanCodeSequence": "X",
    "PatientReligiousPreference": "X",
    "ResponsiblePerson": "X",
    "CountryOfResidence": "X",
    "RegionOfResidence": "X",
    # study / series / equipment
    "StudyDate": "Z",
    "SeriesDate": "X",
    "AcquisitionDate": "X",
    "ContentDate": "Z",
    "StudyTime": "Z",
    "SeriesTime": "X",
    "AcquisitionTime": "X",
    "ContentTime": "Z",
    "AcquisitionDateTime": "X",
    "InstanceCreationDate": "X",
    "InstanceCreationTime": "X",
    "StructureSetDate": "X",
    "StructureSetTime": "X",
    "AccessionNumber": "Z",
    "StudyID": "Z",
    "ReferringPhysicianName": "Z",
    "ReferringPhysicianAddress": "X",
    "ReferringPhysicianTelephoneNumbers": "X",
    "PerformingPhysicianName": "X",
    "NameOfPhysiciansReadingStudy": "X",
    "PhysiciansOfRecord": "X",
    "OperatorsName": "X",
    "RequestingPhysician": "X",
    "InstitutionName": "X",
    "InstitutionAddress": "X",
    "InstitutionalDepartmentName": "X",
    "StationName": "X",
    "DeviceSerialNumber": "X",
    "StudyDescription": "X",
    "SeriesDescription": "X",
    "RequestAttributesSequence": "X",
    "AdmittingDiagnosesDescription": "X",
    "ImageComments": "X",
    "ContentCreatorName": "Z",
    "ReviewerName": "X",
    "ProtocolName": "X",
    "PerformedProcedureStepID": "X",
    "PerformedProcedureStepDescription": "X",
    "PerformedProcedureStepStartDate": "X",
    "PerformedProcedureStepStartTime": "X",
    "RequestedProcedureDescription": "X",
    "ScheduledProcedureStepDescription": "X",
    "DerivationDescription": "X",
    "TextComments": "X",
    "TimezoneOffsetFromUTC": "X",
    # UIDs
    "StudyInstanceUID": "U",
    "SeriesInstanceUID": "U",
    "SOPInstanceUID": "U",
    "FrameOfReferenceUID": "U",
    "ReferencedSOPInstanceUID": "U",
    "ReferencedFrameOfReferenceUID": "U",
    "MediaStorageSOPInstanceUID": "U",
    "DimensionOrganizationUID": "U",
    "SynchronizationFrameOfReferenceUID": "U",
    "StorageMediaFileSetUID": "U",
    "InstanceCreatorUID": "U",
    "IrradiationEventUID": "U",
}


def _uid(value: str, salt: str) -> str:
    """A new UID determined by the old one (and a per-run salt), so references stay consistent."""
    return generate_uid(entropy_srcs=[salt, value])


def _clean(ds: Dataset, salt: str, touched: set[str]) -> None:
    for elem in list(ds):
        if elem.VR == "SQ":
            if ACTIONS.get(elem.keyword) == "X":
                del ds[elem.tag]
                touched.add(elem.keyword)
                continue
            for item in elem.value:
                _clean(item, salt, touched)
            continue
        action = ACTIONS.get(elem.keyword)
        if action is None:
            continue
        touched.add(elem.keyword)
        if action == "X":
            del ds[elem.tag]
        elif action == "Z":
            elem.value = ""
        elif action == "U" and elem.value:
            elem.value = [_uid(str(v), salt) for v in elem.value] if elem.VM > 1 else _uid(str(elem.value), salt)


def deidentify(ds: Dataset, salt: str = "pharmakon") -> list[str]:
    """Apply the Basic Profile to ``ds`` in place; the keywords touched, sorted.

    Parameters
    ----------
    salt : str
        Mixed into every replaced UID: the same salt maps one UID to the same new UID.
    """
    touched: set[str] = set()
    n_private = sum(1 for e in ds.iterall() if e.tag.is_private)
    ds.remove_private_tags()
    if n_private:
        touched.add("(private tags)")
    _clean(ds, salt, touched)
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "MediaStorageSOPInstanceUID" in meta and "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientIdentityRemoved = "YES"
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = PROFILE_CODE
    ds.DeidentificationMethod = "DICOM PS3.15 Basic Application Confidentiality Profile (pharmakon)"
    ds.DeidentificationMethodCodeSequence = pydicom.Sequence([code])
    return sorted(touched)
