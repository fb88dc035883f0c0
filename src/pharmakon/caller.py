"""Who calls a service, and through which channel.

Every capability's service takes a :class:`Caller` and writes it into its audit event
(``actor``; ``params["channel"]``), so the same request through the CLI, the REST API,
the workbench or Python gives the same event apart from those two fields.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

__all__ = ["Caller", "Channel"]

Channel = Literal["cli", "api", "web", "python"]


@dataclass(frozen=True)
class Caller:
    """The acting user and the front end the request came through.

    Attributes
    ----------
    actor : str
        User name, or ``local:<os user>`` for a shell without a logged-in user.
    channel : {"cli", "api", "web", "python"}
        Front end that built the request.
    """

    actor: str
    channel: Channel = "python"

    @classmethod
    def local(cls, channel: Channel = "cli") -> Caller:
        """The shell's user: ``PHARMAKON_ACTOR`` (settings) or ``local:<os user>``."""
        from pharmakon.config import get_settings

        return cls(actor=get_settings().actor or f"local:{getpass.getuser()}", channel=channel)
