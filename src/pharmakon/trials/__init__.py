"""Clinical trials: design, simulation and safety monitoring (sub-packages per job)."""
