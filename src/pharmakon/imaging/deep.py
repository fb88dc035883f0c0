"""The ``deep`` extra for imaging: a clear error without it, and a quiet, seeded torch context.

torch and MONAI are optional (the ``deep`` extra). The learned imaging models
(:mod:`pharmakon.imaging.unet`, :mod:`pharmakon.imaging.cnn`) import them only when a
model is built, fitted or loaded, and call :func:`require_deep` first, so that a missing
extra says what to install instead of failing with an ``ImportError`` deep inside.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version

from pharmakon.errors import InputError

__all__ = ["DEEP_HINT", "TorchWeightsPickling", "require_deep", "deep_versions", "seeded_torch"]

DEEP_HINT = "the learned imaging models need the deep extra (torch and monai): pip install 'pharmakon[deep]'"


def require_deep() -> None:
    """Import torch and monai, or raise :class:`InputError` with :data:`DEEP_HINT`."""
    try:
        import monai  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        raise InputError(f"{DEEP_HINT} ({exc})", field="models") from None


def deep_versions() -> dict[str, str]:
    """Installed torch and monai versions (kept with saved weights)."""
    out = {}
    for lib in ("torch", "monai"):
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:  # pragma: no cover - require_deep ran first
            out[lib] = "missing"
    return out


@contextmanager
def seeded_torch(seed: int, n_threads: int) -> Iterator[None]:
    """Run with torch's global generator seeded (restored after) and ``n_threads`` intra-op threads.

    The same seed and thread count give the same weights: CPU kernels are deterministic
    for a fixed thread count, and every random draw (initialisation, batch order,
    augmentation) comes from this generator.
    """
    import torch

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(max(1, n_threads))
        with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)


class TorchWeightsPickling:
    """Mixin for an estimator whose fitted network is ``model_``: pickled as a torch state dict.

    The state dict (not the module object) is what is stored, with the torch and MONAI
    versions beside it, and loading rebuilds the network with the estimator's own
    ``_network_for_load()`` (each estimator defines it from its fitted attributes) and reads
    the weights with ``weights_only=True`` (no arbitrary objects unpickled).
    """

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # type: ignore[misc]
        net = state.pop("model_", None)
        if net is not None:
            import torch

            buffer = io.BytesIO()
            torch.save(net.state_dict(), buffer)
            state["weights_"] = buffer.getvalue()
            state["versions_"] = deep_versions()
        return state

    def __setstate__(self, state: dict) -> None:
        weights = state.pop("weights_", None)
        state.pop("versions_", None)
        super().__setstate__(state)  # type: ignore[misc]
        if weights is not None:
            require_deep()
            import torch

            net = self._network_for_load()  # type: ignore[attr-defined]
            net.load_state_dict(torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True))
            net.eval()
            self.model_ = net
