"""Moved to :mod:`pharmakon.executor`; kept while callers are updated."""

from pharmakon.executor import *  # noqa: F403
from pharmakon.executor import __all__  # noqa: F401
