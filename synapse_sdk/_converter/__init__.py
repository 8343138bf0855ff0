"""The one cattrs converter per client, and the wire <-> object plans it uses for records.

:func:`make_converter` builds a fresh :class:`cattrs.Converter` and calls
:func:`configure_converter`; nothing here touches ``cattrs.global_converter``.

Records (attrs classes deriving from :class:`synapse_sdk.resources.Record`) are structured by a
plan compiled once per class: for each field its wire name and its :class:`Check`, the one
meaning of its type on the wire (:func:`check_for`). This is the hot path of every listing, so
it does the minimum:

* a field the row lacks stays *unset* (a partial object from ``only()``; reading it later loads
  the full object, see ``Resource.__getattr__``);
* unknown keys are kept in ``_extra`` and written back unchanged on save (forward compatibility);
* an enum value the SDK does not know yet is kept as the string;
* JSON containers are copied, so in-place edits (``task.meta["k"] = 1``) can be detected by
  comparing with the untouched raw row on save;
* a value of the wrong type raises :class:`ResponseValidationError` naming the field path.

The modules, by job: ``_isotime`` (the one ISO-8601 parser), ``_builders`` (checks as code: the
steps and the generated per-class builders, their source in :mod:`linecache`), ``_plan`` (the
type -> check table and the per-class plans).
"""

from __future__ import annotations

import datetime as _dt

import attrs
import cattrs

from synapse_sdk._converter._builders import Check, copy_json
from synapse_sdk._converter._isotime import format_iso, parse_iso
from synapse_sdk._converter._plan import (
    FieldPlan,
    RecordPlan,
    check_for,
    plan_for,
    unstructure_value,
)

__all__ = [
    "Check",
    "FieldPlan",
    "RecordPlan",
    "check_for",
    "configure_converter",
    "copy_json",
    "format_iso",
    "make_converter",
    "parse_datetime",
    "parse_iso",
    "plan_for",
    "unstructure_value",
]

#: The former name of :func:`parse_iso` (the same function).
parse_datetime = parse_iso


def _is_record(tp: object) -> bool:
    return isinstance(tp, type) and attrs.has(tp) and hasattr(tp, "__record__")


def configure_converter(converter: cattrs.Converter) -> None:
    """Register the SDK's hooks on ``converter``.

    * records structure through their compiled :class:`RecordPlan` (partial rows allowed,
      unknown keys kept, wrong types reported with the field path) and unstructure to their
      wire form;
    * datetimes read and write ISO-8601 (``Z`` for UTC);
    * enums unstructure to their values.
    """
    timestamp = check_for(_dt.datetime).step
    converter.register_structure_hook_factory(_is_record, lambda cls: plan_for(cls).build)
    converter.register_unstructure_hook_factory(
        _is_record, lambda cls: lambda obj: plan_for(cls).to_wire(obj)
    )
    converter.register_structure_hook(_dt.datetime, lambda v, _: timestamp(v, "value"))
    converter.register_unstructure_hook(_dt.datetime, format_iso)


def make_converter() -> cattrs.Converter:
    """Build a new converter configured for the SDK (one per client)."""
    converter = cattrs.Converter()
    configure_converter(converter)
    return converter
