"""Patient-trial matching: trial documents, eligibility criteria, retrieval, criterion-level assessment."""
