"""Clinical-trial data on CDISC standards: SDTM/ADaM I/O, analysis outputs, data review, retention."""
