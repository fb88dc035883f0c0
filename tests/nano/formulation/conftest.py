from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.nano.formulation.space import Space

#: A 6-factor space: a 4-component mixture, a flow-rate ratio, a categorical buffer.
SPACE6 = {
    "factors": [
        {"name": "IL", "low": 0.2, "high": 0.6},
        {"name": "HL", "low": 0.05, "high": 0.3},
        {"name": "CHL", "low": 0.2, "high": 0.5},
        {"name": "PEG", "low": 0.005, "high": 0.05},
        {"name": "FRR", "low": 1.0, "high": 5.0},
        {"name": "buffer", "type": "categorical", "levels": ["citrate", "acetate"]},
    ],
    "mixture": {"components": ["IL", "HL", "CHL", "PEG"], "total": 1.0},
    "constraints": ["IL + HL <= 0.75", "CHL - 2*HL >= -0.2"],
}


def response(frame: pd.DataFrame) -> pd.DataFrame:
    """A synthetic response surface with interactions (size nm, PDI, potency)."""
    il, hl, chl, peg, frr = (frame[c].to_numpy(float) for c in ["IL", "HL", "CHL", "PEG", "FRR"])
    buf = (frame["buffer"] == "citrate").to_numpy(float)
    size = 60 + 200 * peg**0.5 * -1 + 80 * hl * chl + 10 * frr + 5 * buf + 40 * (il - 0.4) ** 2 + 100
    pdi = 0.08 + 0.3 * (hl - 0.15) ** 2 + 0.02 * frr * peg * 10
    potency = 3 * il - 8 * (il - 0.45) ** 2 + 2 * hl * frr / 5 + 0.3 * buf
    return pd.DataFrame({"size": size, "PDI": pdi, "potency": potency})


@pytest.fixture
def space6() -> Space:
    return Space.parse(SPACE6)


@pytest.fixture
def observed6(space6: Space) -> pd.DataFrame:
    from pharmakon.nano.formulation.designs import sample_feasible

    frame = sample_feasible(space6, 100, seed=3)
    rng = np.random.default_rng(0)
    out = pd.concat([frame, response(frame)], axis=1)
    out["potency"] += rng.normal(0, 0.05, len(out))
    return out
