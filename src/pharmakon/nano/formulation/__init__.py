"""Nanomedicine formulation design: CQA models, lipid screening, designs of experiments, batch proposals."""
