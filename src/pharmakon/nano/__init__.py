"""Nanomedicine: formulation design (``formulation/``) and nanoparticle delivery (``delivery/``)."""
