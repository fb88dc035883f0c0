"""Nanoparticle delivery: tumour-delivery QSAR, a population PBPK engine and AI-assisted PBPK."""
