"""Async twins of the sync API, run in a bounded thread pool of the client (Django's way).

There is one HTTP stack (urllib3, with its retries, deadlines and watchdog); an async twin runs
the sync method in a worker thread of the client's :class:`AsyncPool` and awaits it without
blocking the event loop. Twins are derived, never written twice:

* ``aget = asyncify(get)`` makes ``await obj.aget(*args)`` run ``obj.get(*args)`` in the pool;
  typed with ``ParamSpec``, so ``aget`` takes what ``get`` takes and returns an awaitable of
  what it returns (a lazy iterator the method returns is read into a list in the pool).
  ``asyncify(create, write=True)`` marks a write (see cancellation below);
  ``asyncify_self(save)`` types the twin of a method returning ``Self``.
* ``aiterator = asyncify_iter(iterator)`` makes ``async for x in obj.aiterator()`` pull items
  from the sync iterator in the pool, a bounded batch per hop (the iterator's own page prefetch
  keeps working underneath).

The twin calls the method by name on the object, so a subclass's override is what runs.

Cancellation: cancelling the awaiting task returns at once. A call still queued is dropped
(nothing was sent); a call already running finishes in its thread within its deadline (the
transport's watchdog enforces it) and its result is discarded. A cancelled *write* that was
already running re-raises ``CancelledError`` whose ``__cause__`` is an
:class:`~synapse_sdk._exceptions.OutcomeUnknownError`: the server may have applied it, and it is
never resent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import itertools
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from synapse_sdk._exceptions import OutcomeUnknownError

__all__ = [
    "AsyncPool",
    "asyncify",
    "asyncify_iter",
    "asyncify_self",
    "check_workers",
    "context_of",
    "run_sync",
]

S = TypeVar("S")
P = ParamSpec("P")
T = TypeVar("T")
Obj = TypeVar("Obj")

#: Items pulled from a sync iterator per trip to the pool (``asyncify_iter``'s default).
DEFAULT_BATCH = 100

_MAX_WORKERS = 1024


def check_workers(value: object) -> int:
    """``async_workers``: an int in 1..1024 (checked before anything is built)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"async_workers must be an int, got {type(value).__name__}")
    if not 1 <= value <= _MAX_WORKERS:
        raise ValueError(f"async_workers must be between 1 and {_MAX_WORKERS}, got {value}")
    return value


class AsyncPool:
    """The bounded thread pool a client's async twins run in: created on first use, shut down
    by ``client.close()``/``aclose()`` (the next twin creates a new one, as the connection pool
    reconnects). Size it to the connection pool (``pool_maxsize``), which it defaults to.

    Its worker threads are started by a helper thread, never by the event loop: starting a
    thread waits for it to run, which under load (other threads holding the GIL) would stall
    the loop for milliseconds per thread. Workers are daemon threads (a call still running at
    interpreter exit is abandoned; each has its deadline anyway).
    """

    def __init__(self, workers: int = 16) -> None:
        self.workers = check_workers(workers)
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Any] | None = None
        self._futures: set[concurrent.futures.Future[Any]] = set()

    def __repr__(self) -> str:
        state = "idle" if self._queue is None else f"{self.in_flight} in flight"
        return f"<AsyncPool {self.workers} workers, {state}>"

    @property
    def started(self) -> bool:
        """Whether the worker threads are running (the pool was used since it was last shut
        down)."""
        return self._queue is not None

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn()`` in a worker thread (with the caller's context variables)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        work = (future, contextvars.copy_context().run, fn)
        with self._lock:
            if self._queue is None:
                self._queue = queue.SimpleQueue()
                starter = threading.Thread(
                    target=_start_workers, args=(self._queue, self.workers), daemon=True
                )
                starter.start()
            self._futures.add(future)
            self._queue.put(work)
        future.add_done_callback(self._futures.discard)
        return future

    @property
    def in_flight(self) -> int:
        """Calls queued or running in the pool."""
        return len(self._futures)

    def pending(self) -> list[concurrent.futures.Future[Any]]:
        """The futures of the calls queued or running."""
        with self._lock:
            return list(self._futures)

    def shutdown(self) -> None:
        """Stop the pool without waiting: queued and running calls finish (within their
        deadlines), then the workers exit."""
        with self._lock:
            work, self._queue = self._queue, None
        if work is not None:
            for _ in range(self.workers):
                work.put(None)

    def join(self, timeout: float | None = None) -> bool:
        """Wait (blocking) until no call is in flight; whether that happened in time."""
        _, not_done = concurrent.futures.wait(self.pending(), timeout=timeout)
        return not not_done


def _start_workers(work: queue.SimpleQueue[Any], count: int) -> None:
    for index in range(count):
        name = f"synapse-async-{index}"
        threading.Thread(target=_worker, args=(work,), name=name, daemon=True).start()


def _worker(work: queue.SimpleQueue[Any]) -> None:
    while True:
        item = work.get()
        if item is None:
            return
        future, run, fn = item
        if not future.set_running_or_notify_cancel():
            continue  # cancelled while queued: never started
        try:
            result = run(fn)
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        del item, future, run, fn


def context_of(obj: object) -> Any:
    """The client context an object of the SDK reaches its session and pool through:
    a resource through its manager, a queryset through its source, a manager or client
    directly (``_ctx``)."""
    require = getattr(obj, "_require_manager", None)
    if require is not None:
        return require()._ctx
    source = getattr(obj, "_source", None)
    if source is not None:
        return context_of(source)
    return obj._ctx  # type: ignore[attr-defined]


def _pool_of(obj: object) -> AsyncPool:
    pool: AsyncPool = context_of(obj).async_pool
    return pool


def _outcome_unknown(what: str) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        f"{what} was cancelled while its request was in flight: the server may have applied "
        "it (the call finishes in its thread within its deadline; it is never resent). Check "
        "the server's state before trying again"
    )


async def run_sync(
    pool: AsyncPool,
    fn: Callable[[], T],
    *,
    write: bool = False,
    what: str = "the call",
    on_cancel: Callable[[], object] | None = None,
) -> T:
    """Await ``fn()`` run in ``pool`` without blocking the loop (see the module docstring)."""
    future = pool.submit(fn)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError as exc:
        if on_cancel is not None:
            on_cancel()
        # wrap_future has tried future.cancel(): it succeeds only if the call never started.
        if write and not future.cancelled():
            raise exc from _outcome_unknown(what)
        raise


class _Twin:
    """What the coroutine twins share at run time (``asyncify``, ``asyncify_self``)."""

    def __init__(self, method: Callable[..., Any], write: bool, sleeps: bool) -> None:
        self.method = method
        self.name: str = getattr(method, "__name__", "")
        self.twin = f"a{self.name}"
        self.write = write
        self.sleeps = sleeps
        self.__doc__ = f"Async twin of ``{self.name}()``: ``await obj.{self.twin}(...)``."

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.twin = name

    def _bind(self, obj: Any) -> Any:
        return self if obj is None else functools.partial(self._call, obj)

    async def _call(self, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        bound = getattr(obj, self.name)  # the override, if any, runs
        pool = _pool_of(obj)
        what = f"{type(obj).__name__}.{self.twin}()"
        stop: threading.Event | None = None
        if self.sleeps and "sleep" not in kwargs:
            stop = threading.Event()
            kwargs["sleep"] = functools.partial(_interruptible_sleep, stop)
        call = functools.partial(_collected, bound, args, kwargs)
        on_cancel = None if stop is None else stop.set
        return await run_sync(pool, call, write=self.write, what=what, on_cancel=on_cancel)


class asyncify(_Twin, Generic[S, P, T]):
    """``aname = asyncify(name)``: the async twin of method ``name`` (see the module docstring).

    ``write=True`` marks a method that changes the server's state: cancelling it once its
    request may have left reports ``OutcomeUnknownError`` as the cancellation's cause.
    ``sleeps=True`` marks a method that waits between requests through its ``sleep=``
    argument (``Job.wait``): unless the caller passes one, the twin passes a sleep that
    cancellation interrupts, so a cancelled poll loop stops at its next pause instead of
    polling on in its thread.

    A method with ``**kwargs`` must take ``self`` positionally only (``def create(self, /,
    **data)``) for its twin to be typed.
    """

    def __init__(
        self, method: Callable[Concatenate[S, P], T], *, write: bool = False, sleeps: bool = False
    ) -> None:
        super().__init__(method, write, sleeps)

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> asyncify[S, P, T]: ...

    @overload
    def __get__(
        self, obj: S, owner: type[Any] | None = None
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, obj: Any, owner: type[Any] | None = None) -> Any:
        return self._bind(obj)


class asyncify_self(_Twin, Generic[P]):
    """``asave = asyncify_self(save)``: the twin of a method that returns ``self`` (typed
    ``Self``): ``await task.asave()`` is typed ``Task``."""

    def __init__(self, method: Callable[Concatenate[Any, P], Any], *, write: bool = False) -> None:
        super().__init__(method, write, False)

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> asyncify_self[P]: ...

    @overload
    def __get__(
        self, obj: Obj, owner: type[Any] | None = None
    ) -> Callable[P, Coroutine[Any, Any, Obj]]: ...

    def __get__(self, obj: Any, owner: type[Any] | None = None) -> Any:
        return self._bind(obj)


def _collected(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # A lazy iterator (a seed ``list_all=True``) is read here, in the pool: iterating it on
    # the loop would block it on every page.
    result = fn(*args, **kwargs)
    return list(result) if isinstance(result, Iterator) else result


class _Interrupted(Exception):
    """Ends a cancelled twin's poll loop in its thread (nobody awaits the result)."""


def _interruptible_sleep(stop: threading.Event, seconds: float) -> None:
    if stop.wait(seconds):
        raise _Interrupted("the awaiting task was cancelled")


def _take(it: Iterator[T], n: int) -> list[T]:
    return list(itertools.islice(it, n))


class asyncify_iter(Generic[S, P, T]):
    """``aname = asyncify_iter(name)``: ``async for item in obj.aname(...)`` over the items of
    the sync iterator ``obj.name(...)``, pulled in the pool ``batch`` at a time (an int, or a
    function of the object: its page size). At most one batch is buffered; leaving the loop
    early closes the sync iterator in the pool (after a pull in flight, if any)."""

    def __init__(
        self,
        method: Callable[Concatenate[S, P], Iterator[T]],
        *,
        batch: int | Callable[[S], int] = DEFAULT_BATCH,
    ) -> None:
        self.method = method
        self.name: str = getattr(method, "__name__", "")
        self.batch = batch
        self.__doc__ = f"Async twin of ``{self.name}()``: ``async for x in obj.a{self.name}()``."

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> asyncify_iter[S, P, T]: ...

    @overload
    def __get__(self, obj: S, owner: type[Any] | None = None) -> Callable[P, AsyncIterator[T]]: ...

    def __get__(self, obj: Any, owner: type[Any] | None = None) -> Any:
        if obj is None:
            return self
        return functools.partial(self._iterate, obj)

    def _iterate(self, obj: Any, /, *args: Any, **kwargs: Any) -> AsyncIterator[T]:
        # Arguments are checked now, as the sync method checks them (before any I/O).
        items: Iterator[T] = getattr(obj, self.name)(*args, **kwargs)
        n = self.batch if isinstance(self.batch, int) else self.batch(obj)
        return _pull(_pool_of(obj), items, max(1, n))


async def _pull(pool: AsyncPool, items: Iterator[T], n: int) -> AsyncIterator[T]:
    future: concurrent.futures.Future[list[T]] | None = None
    try:
        while True:
            future = pool.submit(functools.partial(_take, items, n))
            chunk = await asyncio.wrap_future(future)
            future = None
            if not chunk:
                return
            for item in chunk:
                yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            if future is not None and not future.done():
                # A pull is running in its thread: close the iterator there once it returns.
                future.add_done_callback(lambda _: close())
            else:
                pool.submit(close)  # may join prefetch threads: never on the loop
