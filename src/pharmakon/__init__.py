"""pharmakon: validated, auditable machine learning and simulation for drug development.

Importing the package is cheap; heavy sub-packages load on first use.
"""

from pharmakon._version import __version__

__all__ = ["__version__"]
