"""Plugin releases (``plugin_releases/``): by id or ``"code@version"``, created with an archive
sent multipart (streamed from disk or from an open file)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Endpoint
from synapse_sdk._http import Timeout
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import Resource, fk
from synapse_sdk.resources._capabilities import CreateManager
from synapse_sdk.resources._multipart import archive_form
from synapse_sdk.resources._relations import ForeignKey

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk.resources.integration import Plugin  # noqa: F401 (navigation targets)


__all__ = [
    "PLUGIN_RELEASES",
    "PluginRelease",
    "PluginReleaseFilters",
    "PluginReleaseManager",
]


@attrs.define(kw_only=True, eq=False, repr=False)
class PluginRelease(Resource):
    """A released version of a plugin."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[PluginReleaseFilters]) -> PluginRelease:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    plugin_id: int | None = fk("plugin")
    version: str = ""
    config: dict[str, Any] | None = None
    requirements: list[str] = attrs.field(factory=list)
    debug: bool = False
    readme: str | None = None
    file: str | None = None
    created: dt.datetime | None = None

    plugin = ForeignKey["Plugin"]("plugin_id")
    """The released plugin (embedded with ``expand("plugin")``, else loaded on use)."""


class PluginReleaseFilters(TypedDict, total=False):
    """Filters of ``client.plugin_releases.filter()``."""

    plugin: int | str
    """Releases of this plugin, by id or by code."""


PLUGIN_RELEASES = Endpoint(
    name="plugin_releases",
    path="plugin_releases/",
    id_kind="lookup",
    ops=frozenset({"get", "list", "create"}),
    filters=PluginReleaseFilters,
    expand=frozenset({"plugin"}),
)


class PluginReleaseManager(CreateManager[PluginRelease, int | str]):
    """``client.plugin_releases``: by id or ``"code@version"``; ``create`` uploads an archive."""

    endpoint = PLUGIN_RELEASES
    resource = PluginRelease

    def filter(self, **filters: Unpack[PluginReleaseFilters]) -> QuerySet[PluginRelease]:
        """Releases matching ``filters``: ``filter(plugin="my-plugin")`` (id or code; lazy)."""
        return self._filter(filters)

    def create_json(self, body: Any, *, timeout: Timeout | None = None, file: Any = None) -> Any:
        """Create a release and return the JSON. With an archive (``file`` or ``body['file']``:
        a path, bytes or an open binary file) the request is multipart with the archive
        (streamed) in part ``file`` and the other values as form fields (dicts as JSON).

        Raises:
            OSError: The archive path cannot be read (before any request).
            TypeError: ``file`` is a text-mode file.
        """
        data = dict(body)
        source = file if file is not None else data.get("file")
        data.pop("file", None)
        if source is None:
            return self._create_json(data, timeout=timeout)
        return self._create_json(
            None, timeout=timeout, form=archive_form({**self._scope, **data}, source)
        )

    def create(self, *, file: Any = None, **data: Any) -> PluginRelease:
        """Create a release from wire fields (``plugin`` code, ``version``, ``config`` ...), with
        an archive when ``file`` is given (a path, bytes or an open binary file)."""
        body = self._create_body({**self._scope, **data})
        return self._build_created(self.create_json(body, file=file))
