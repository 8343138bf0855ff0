"""The ``_devserver/`` control endpoint (only when the backend runs with control enabled)."""

from __future__ import annotations

from typing import Any

from ._admin import create_agent, create_tenant, create_user
from ._context import Ctx, Resp, Route
from ._errors import ApiError, field_error, not_found
from ._faults import FaultPlane
from ._journal import Journal
from ._store import Store


def control_routes(store: Store, faults: FaultPlane, journal: Journal, info: Any) -> list[Route]:
    """Routes under ``/_devserver/`` bound to this backend's fault plane, journal and store.

    Args:
        store: the state (tenant/user/agent provisioning).
        faults: the fault plane.
        journal: the request journal.
        info: callable returning ``{"url", "tenant", "api_token", "agent_token", "demo"}``.
    """

    def list_faults(ctx: Ctx) -> Resp:
        return Resp({"faults": [f.to_dict() for f in faults.list()]})

    def add_fault(ctx: Ctx) -> Resp:
        body = ctx.object_body()
        kind = body.pop("kind", None)
        if not isinstance(kind, str):
            raise field_error("kind", "This field is required.")
        try:
            fault = faults.add(kind, **body)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"detail": str(exc)}) from None
        return Resp(fault.to_dict(), 201)

    def clear_faults(ctx: Ctx) -> Resp:
        faults.clear()
        return Resp(None, 204)

    def delete_fault(ctx: Ctx, pk: int) -> Resp:
        if not faults.remove(pk):
            raise not_found()
        return Resp(None, 204)

    def get_journal(ctx: Ctx) -> Resp:
        entries = [e.to_dict() for e in journal.entries()]
        return Resp({"entries": entries, "committed": journal.committed()})

    def clear_journal(ctx: Ctx) -> Resp:
        journal.clear()
        return Resp(None, 204)

    def new_tenant(ctx: Ctx) -> Resp:
        code = ctx.object_body().get("code")
        try:
            create_tenant(store, str(code))
            token = create_user(store, str(code), "admin")
            agent = create_agent(store, str(code), f"{code}-agent")
        except ValueError as exc:
            raise field_error("code", str(exc)) from None
        return Resp({"code": code, "api_token": token, "agent_token": agent}, 201)

    def new_user(ctx: Ctx) -> Resp:
        body = ctx.object_body()
        try:
            token = create_user(store, str(body.get("tenant")), str(body.get("username") or "user"))
        except ValueError as exc:
            raise field_error("tenant", str(exc)) from None
        return Resp({"token": token}, 201)

    def new_agent(ctx: Ctx) -> Resp:
        body = ctx.object_body()
        try:
            token = create_agent(store, str(body.get("tenant")), str(body.get("name") or "agent"))
        except ValueError as exc:
            raise field_error("tenant", str(exc)) from None
        return Resp({"token": token}, 201)

    def get_info(ctx: Ctx) -> Resp:
        return Resp(info())

    p = "/_devserver"
    return [
        Route(f"{p}/", "GET", get_info, public=True),
        Route(f"{p}/faults/", "GET", list_faults, public=True),
        Route(f"{p}/faults/", "POST", add_fault, public=True),
        Route(f"{p}/faults/", "DELETE", clear_faults, public=True),
        Route(f"{p}/faults/<int:pk>/", "DELETE", delete_fault, public=True),
        Route(f"{p}/journal/", "GET", get_journal, public=True),
        Route(f"{p}/journal/", "DELETE", clear_journal, public=True),
        Route(f"{p}/tenants/", "POST", new_tenant, public=True),
        Route(f"{p}/users/", "POST", new_user, public=True),
        Route(f"{p}/agents/", "POST", new_agent, public=True),
    ]
