"""Imaging biomarkers: DICOM/NIfTI/NRRD I/O, lesion measurement, RECIST 1.1, radiomics, segmentation."""
