"""What the managers of one client share: the session, the converter, listing defaults and the
registry of the client's managers (for typed navigation between families)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import cattrs

from synapse_sdk._converter import make_converter
from synapse_sdk._http import Session

if TYPE_CHECKING:
    from synapse_sdk.resources._manager import BaseManager

__all__ = ["ClientContext"]

M = TypeVar("M", bound="BaseManager[Any]")


@attrs.frozen
class ClientContext:
    """The session, the client's converter, listing defaults and the client's managers.

    Managers are registered by class (``ctx.manager(TaskManager)``) and, for the navigation
    descriptors, by the name of the manager class or of its resource class (``"Project"``).
    """

    session: Session
    converter: cattrs.Converter = attrs.field(factory=make_converter, eq=False)
    page_size: int = 100
    prefetch: int = 4
    managers: dict[type[Any], Any] = attrs.field(factory=dict, eq=False)
    names: dict[str, Any] = attrs.field(factory=dict, eq=False)

    def register(self, manager: BaseManager[Any]) -> None:
        """Make ``manager`` the client's manager of its family."""
        cls = type(manager)
        self.managers[cls] = manager
        self.names[cls.__name__] = manager
        self.names[cls.resource.__name__] = manager

    def manager(self, cls: type[M]) -> M:
        """The client's manager of class ``cls`` (``ctx.manager(ProjectManager)``)."""
        found: M = self.managers[cls]
        return found

    def named(self, name: str) -> BaseManager[Any]:
        """The manager whose class or resource class is called ``name`` (``"Project"``)."""
        try:
            found: BaseManager[Any] = self.names[name]
        except KeyError:
            raise LookupError(f"this client has no manager for {name!r}") from None
        return found
