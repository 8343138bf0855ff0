"""The wire bodies of task creation and ``set_tags`` (both call forms of each accepted)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

__all__ = ["TAG_CHUNK", "TagAction", "tag_chunks", "tags_body", "tasks_body"]

#: The most object ids one ``set_tags`` request of ``tag_many`` carries.
TAG_CHUNK = 1000

TagAction = Literal["add", "remove"]


def tags_body(
    data: Mapping[str, Any] | None = None,
    *,
    ids: Iterable[int] = (),
    tags: Iterable[int] = (),
    action: str = "add",
    seed_ids_key: str = "task_ids",
) -> dict[str, Any]:
    """Build the wire body of ``set_tags`` from the seed's keys or the wire keys.

    Accepts ``{"task_ids"/"assignment_ids": [...], "tag_ids": [...]}`` (the seed's form) and
    ``{"ids": [...], "tags": [...], "action": "add"}`` (the wire form); sends the wire form.
    """
    if data is not None:
        unknown = set(data) - {"ids", "tags", "action", seed_ids_key, "tag_ids"}
        if unknown:
            raise TypeError(f"unknown set_tags keys: {', '.join(sorted(unknown))}")
        ids = data.get("ids", data.get(seed_ids_key, ()))
        tags = data.get("tags", data.get("tag_ids", ()))
        action = data.get("action", action)
    if action not in ("add", "remove"):
        raise ValueError(f"set_tags action must be 'add' or 'remove', got {action!r}")
    id_list, tag_list = list(ids), list(tags)
    for name, values in (("ids", id_list), ("tags", tag_list)):
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise TypeError(f"set_tags {name} must be positive ints, got {value!r}")
    if not id_list:
        raise ValueError("set_tags needs at least one object id")
    return {"ids": id_list, "tags": tag_list, "action": action}


def tasks_body(data: Any, project: int | None = None) -> Any:
    """Normalise a task-creation body: the seed's list form or the wire form, both accepted.

    A single ``{"project": p, "data_unit": u, "meta"?: {...}}`` becomes the wire form
    ``{"project": p, "data": [{"data_unit": u, "meta": {...}}]}``.
    """
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if project is not None:
            data = {"project": project, **data}
        if "data_unit" in data and "data" not in data:
            item = {k: v for k, v in data.items() if k != "project"}
            return {"project": data.get("project"), "data": [item]}
        return data
    raise TypeError(
        "create_tasks takes a list of {'project', 'data_unit'} objects or "
        "{'project': id, 'data': [{'data_unit': id}, ...]}"
    )


def tag_chunks(
    manager: Any,
    objects: Iterable[Any],
    tags: Iterable[int],
    *,
    remove: bool = False,
    chunk_size: int = TAG_CHUNK,
) -> list[Any]:
    """``set_tags`` on many objects (ids or resources with ``id``), ``chunk_size`` ids per
    request, every id checked first; returns each request's answer."""
    if not isinstance(remove, bool):
        raise TypeError(f"remove must be True or False, got {remove!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        raise TypeError(f"chunk_size must be an int, got {type(chunk_size).__name__}")
    if not 1 <= chunk_size <= TAG_CHUNK:
        raise ValueError(f"chunk_size must be between 1 and {TAG_CHUNK}, got {chunk_size}")
    if isinstance(objects, str | bytes | Mapping) or not isinstance(objects, Iterable):
        raise TypeError(f"tag_many takes an iterable of ids or objects, got {objects!r}")
    ids = [getattr(obj, "id", obj) if not isinstance(obj, int) else obj for obj in objects]
    action = "remove" if remove else "add"
    tag_list = list(tags) if not isinstance(tags, str | bytes) else tags
    if not isinstance(tag_list, list) or not tag_list:
        raise ValueError("tag_many needs at least one tag id (a list of ints)")
    tags_body(ids=ids, tags=tag_list, action=action)  # checks every id and tag before I/O
    unique = list(dict.fromkeys(ids))
    return [
        manager.action_json(
            "set_tags",
            json=tags_body(ids=unique[i : i + chunk_size], tags=tag_list, action=action),
        )
        for i in range(0, len(unique), chunk_size)
    ]
