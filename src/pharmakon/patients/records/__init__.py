"""Patient records: FHIR R4 and free-text notes, read and de-identified at the door."""
