"""Patient-level science: pharmacogenomics and, later, other patient models (sub-packages per job)."""
