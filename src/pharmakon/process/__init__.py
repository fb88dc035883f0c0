"""Manufacturing quality: multivariate process monitoring, spectral soft sensors and a process digital twin."""
