"""Many annotations at once: ``PUT tasks/<id>/annotate_task_data/`` per item on a bounded pool,
and the typed per-item report.

Items are checked here (task id, data, schema, action) and sent by a caller-supplied function, so
the seed's ``annotate_task_data_batch`` (raw JSON, a dict keyed by task id) and the typed
``client.tasks.annotate_many`` / ``iter_annotate`` share the checks and the pool. The pool keeps
at most ``2 * max_workers`` items in flight and yields results in input order, so a generator of a
million items is read as it is sent, never materialised.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, Literal, TypeVar

import attrs

from synapse_sdk._exceptions import ClientError, ResponseValidationError
from synapse_sdk._http._encoding import encode_json
from synapse_sdk._progress import ProgressLike, reporter

__all__ = [
    "ANNOTATE_KEYS",
    "AnnotateItem",
    "AnnotateReport",
    "AnnotateResult",
    "AnnotateStatus",
    "annotate_items",
    "annotate_stream",
    "check_workers",
    "collect",
    "parse_item",
    "run_in_order",
]

T = TypeVar("T")
R = TypeVar("R")
TaskT = TypeVar("TaskT")

#: The keys an item mapping may have (``task`` is accepted as another name of ``task_id``).
ANNOTATE_KEYS = frozenset({"task_id", "task", "data", "schema", "action"})
_SCHEMAS = ("dm_schema_v1", "any")
_ACTIONS = ("save", "submit")
MAX_WORKERS = 64

#: ``annotated``: the backend accepted the annotation; ``failed``: see ``error``.
AnnotateStatus = Literal["annotated", "failed"]


@attrs.frozen
class AnnotateItem:
    """One checked item: the task id, the body to PUT and the ``schema`` query value."""

    index: int
    task_id: int
    body: Any
    schema: str | None


def _task_id(value: object, where: str) -> int:
    found = getattr(value, "id", value) if not isinstance(value, int | str) else value
    if isinstance(found, bool) or not isinstance(found, int) or found <= 0:
        raise TypeError(f"{where}: the task must be a positive int id or a Task, got {value!r}")
    return found


def parse_item(
    index: int,
    raw: object,
    *,
    schema: str | None = None,
    action: str | None = None,
    check_json: bool = True,
) -> AnnotateItem:
    """Check one item: a mapping ``{"task_id", "data", "schema"?, "action"?}`` or a pair
    ``(task_or_id, data)``; ``schema``/``action`` are the defaults for items without their own.

    Raises:
        TypeError, ValueError: The item is malformed (what and where is in the message).
    """
    where = f"item {index}"
    if isinstance(raw, Mapping):
        unknown = set(raw) - ANNOTATE_KEYS
        if unknown:
            raise TypeError(f"{where}: unknown keys {sorted(map(str, unknown))}")
        if "task_id" in raw and "task" in raw:
            raise TypeError(f"{where}: give task_id or task, not both")
        if "data" not in raw or ("task_id" not in raw and "task" not in raw):
            raise TypeError(f"{where}: an item mapping needs 'task_id' and 'data'")
        task = raw.get("task_id", raw.get("task"))
        data = raw["data"]
        schema = raw.get("schema", schema)
        action = raw.get("action", action)
    elif isinstance(raw, tuple | list) and len(raw) == 2:
        task, data = raw
    else:
        raise TypeError(
            f"{where}: expected (task_or_id, data) or {{'task_id': ..., 'data': ...}}, "
            f"got {type(raw).__name__}"
        )
    task_id = _task_id(task, where)
    if schema is not None and schema not in _SCHEMAS:
        raise ValueError(f"{where}: schema must be one of {_SCHEMAS} or None, got {schema!r}")
    if action is not None and action not in _ACTIONS:
        raise ValueError(f"{where}: action must be one of {_ACTIONS} or None, got {action!r}")
    body = data if action is None else {"action": action, "data": data}
    if check_json:
        try:
            encode_json(body)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where} (task {task_id}): {exc}") from None
    return AnnotateItem(index, task_id, body, schema)


def check_workers(max_workers: object, default: int) -> int:
    """``max_workers`` (None: ``default``) as an int in 1..64.

    Raises:
        TypeError, ValueError: Not an int, or out of bounds.
    """
    if max_workers is None:
        return default
    if isinstance(max_workers, bool) or not isinstance(max_workers, int):
        raise TypeError(f"max_workers must be an int or None, got {type(max_workers).__name__}")
    if not 1 <= max_workers <= MAX_WORKERS:
        raise ValueError(f"max_workers must be between 1 and {MAX_WORKERS}, got {max_workers}")
    return max_workers


def _frame_rows(frame: Any) -> Iterator[dict[str, Any]]:
    columns = [str(c) for c in frame.columns]
    missing = {"task_id", "data"} - set(columns)
    if missing:
        raise TypeError(f"the DataFrame needs the columns task_id and data; missing {missing}")
    for values in frame.itertuples(index=False, name=None):
        row = dict(zip(columns, values, strict=True))
        yield {k: _scalar(v) for k, v in row.items() if k in ANNOTATE_KEYS and not _na(k, v)}


def _scalar(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy ints become Python ints
    return item() if callable(item) and type(value).__module__ == "numpy" else value


def _na(key: str, value: Any) -> bool:
    # an empty optional cell (schema/action None or NaN) means "not given"
    return key in ("schema", "action") and (value is None or value != value)


def is_frame(items: object) -> bool:
    """Whether ``items`` is a pandas DataFrame (told without importing pandas)."""
    return type(items).__module__.startswith("pandas") and hasattr(items, "itertuples")


def annotate_items(
    items: object,
    *,
    schema: str | None = None,
    action: str | None = None,
) -> tuple[Iterator[AnnotateItem | Exception], int | None]:
    """The checked items of ``items`` and their count when known.

    A sized input (list, tuple, DataFrame) is checked whole first, so a bad item or a repeated
    task id raises before any request. Any other iterable is checked as it is read: a bad item
    or a repeat becomes an exception in the stream (reported as that item's failure, not sent).

    Raises:
        TypeError, ValueError: ``items`` is not an iterable of items, or (sized input) an item
            is malformed or names a task a second time.
    """
    if isinstance(items, str | bytes | Mapping) or not (
        is_frame(items) or isinstance(items, Iterable)
    ):
        raise TypeError(
            "items must be an iterable of (task_or_id, data) pairs or {'task_id', 'data'} "
            f"mappings, or a DataFrame; got {type(items).__name__}"
        )
    rows: Iterable[Any] = _frame_rows(items) if is_frame(items) else items  # type: ignore[assignment]
    if is_frame(items) or isinstance(items, Sized):
        checked = [parse_item(i, raw, schema=schema, action=action) for i, raw in enumerate(rows)]
        seen: dict[int, int] = {}
        for item in checked:
            if item.task_id in seen:
                raise ValueError(
                    f"task {item.task_id} is named twice (items {seen[item.task_id]} and "
                    f"{item.index}); annotate each task once per call"
                )
            seen[item.task_id] = item.index
        return iter(checked), len(checked)
    return _stream(rows, schema, action), None


def _stream(rows: Iterable[Any], schema: str | None, action: str | None) -> Iterator[Any]:
    seen: set[int] = set()  # task ids only: an int per item, nothing else is kept
    for index, raw in enumerate(rows):
        try:
            item = parse_item(index, raw, schema=schema, action=action)
        except (TypeError, ValueError) as exc:
            yield exc
            continue
        if item.task_id in seen:
            yield ValueError(f"item {index}: task {item.task_id} is named again in this call")
            continue
        seen.add(item.task_id)
        yield item


def run_in_order(
    items: Iterable[T], fn: Callable[[T], R], workers: int
) -> Iterator[tuple[T, R | Exception]]:
    """``fn(item)`` for every item on ``workers`` threads, yielded in input order as
    ``(item, result or ClientError/TypeError/ValueError)``; at most ``2 * workers`` in flight.

    Other exceptions (bugs) propagate after the in-flight calls finish.
    """
    source = iter(items)
    window: deque[tuple[T, Future[R]]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="synapse-bulk") as pool:
        for item in itertools.islice(source, 2 * workers):
            window.append((item, pool.submit(fn, item)))
        while window:
            item, future = window.popleft()
            try:
                outcome: R | Exception = future.result()
            except (ClientError, TypeError, ValueError) as exc:
                outcome = exc
            for following in itertools.islice(source, 1):
                window.append((following, pool.submit(fn, following)))
            yield item, outcome


def annotate_stream(
    manager: Any, items: object, max_workers: int | None, schema: Any, action: Any
) -> tuple[Iterator[AnnotateResult[Any]], int | None]:
    """The results of annotating ``items`` through ``manager`` (the tasks manager), lazily,
    and the input's length when known; the input is checked now (see :func:`annotate_items`)."""
    workers = check_workers(max_workers, min(4, manager._ctx.session.pool_maxsize))
    checked, total = annotate_items(items, schema=schema, action=action)

    def send(item: AnnotateItem | Exception) -> Any:
        if isinstance(item, Exception):
            raise item
        params = {"schema": item.schema} if item.schema else None
        raw = manager.action_json("annotate", item.task_id, json=item.body, params=params)
        if not isinstance(raw, dict) or isinstance(raw.get("id"), bool) or "id" not in raw:
            raise ResponseValidationError(
                f"task {item.task_id}: the annotate answer is not a task object", response=raw
            )
        return manager.build(raw)

    def results() -> Iterator[AnnotateResult[Any]]:
        for index, (item, outcome) in enumerate(run_in_order(checked, send, workers)):
            task_id = item.task_id if isinstance(item, AnnotateItem) else None
            if isinstance(outcome, Exception):
                yield AnnotateResult(index, task_id, "failed", error=outcome)
            else:
                yield AnnotateResult(index, task_id, "annotated", task=outcome)

    return results(), total


def collect(
    results: Iterator[AnnotateResult[TaskT]], total: int | None, progress: ProgressLike
) -> AnnotateReport[TaskT]:
    """Gather ``results`` into a report, telling ``progress`` after each."""
    report = reporter(progress, total or 0, "annotate", "task")
    collected: list[AnnotateResult[TaskT]] = []
    try:
        for result in results:
            collected.append(result)
            report.update(len(collected))
    finally:
        report.close()
    return AnnotateReport(collected)


@attrs.frozen
class AnnotateResult(Generic[TaskT]):
    """The outcome of one item of ``client.tasks.annotate_many``.

    Attributes:
        index: The item's position in the input.
        task_id: The task (None when the item did not name one usably).
        status: ``annotated`` or ``failed``.
        task: The updated task as the backend answered (None when it failed).
        error: Why it failed: a ``ClientError`` (the backend refused or did not answer), or a
            ``TypeError``/``ValueError`` for an item that was not sent.
    """

    index: int
    task_id: int | None
    status: AnnotateStatus
    task: TaskT | None = None
    error: Exception | None = attrs.field(default=None, eq=False)

    @property
    def ok(self) -> bool:
        """Whether the annotation was accepted."""
        return self.status == "annotated"


@attrs.frozen
class AnnotateReport(Generic[TaskT]):
    """Results of ``client.tasks.annotate_many(...)``, in input order (iterable, sized)."""

    items: list[AnnotateResult[TaskT]]

    def __iter__(self) -> Iterator[AnnotateResult[TaskT]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> AnnotateResult[TaskT]:
        return self.items[index]

    @property
    def ok(self) -> bool:
        """Whether every item was annotated."""
        return all(item.ok for item in self.items)

    @property
    def annotated(self) -> list[AnnotateResult[TaskT]]:
        """The items the backend accepted."""
        return [item for item in self.items if item.ok]

    @property
    def failed(self) -> list[AnnotateResult[TaskT]]:
        """The items that failed (``error`` says why)."""
        return [item for item in self.items if not item.ok]

    def to_pandas(self) -> Any:
        """One row per item (``index``, ``task_id``, ``status``, ``error``) as a DataFrame.

        Raises:
            ImportError: pandas is not installed (``pip install 'synapse-sdk[pandas]'``).
        """
        try:
            import pandas
        except ImportError as exc:
            raise ImportError(
                "AnnotateReport.to_pandas() needs pandas, which is not installed; install the "
                "SDK's 'pandas' extra: pip install 'synapse-sdk[pandas]'"
            ) from exc
        rows = [
            {
                "index": r.index,
                "task_id": r.task_id,
                "status": r.status,
                "error": None if r.error is None else f"{type(r.error).__name__}: {r.error}",
            }
            for r in self.items
        ]
        return pandas.DataFrame(rows, columns=["index", "task_id", "status", "error"])

    def __repr__(self) -> str:
        return (
            f"<AnnotateReport items={len(self.items)} annotated={len(self.annotated)} "
            f"failed={len(self.failed)}>"
        )
