"""The ``demo`` seed: one tenant with some of everything (ids are recorded for ``backend.demo``)."""

from __future__ import annotations

import hashlib
import json
import struct
import time
import uuid
import zlib
from typing import Any

from ._context import Config, save_media
from ._store import Doc, Store, iso_at, now_iso

DEMO_META_KEY = "demo"


def tiny_png(rgb: tuple[int, int, int]) -> bytes:
    """A valid 2x2 PNG of one colour."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * 2
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * 2))
        + chunk(b"IEND", b"")
    )


def _file(store: Store, config: Config, tenant: int, name: str, data: bytes) -> Doc:
    key, size, md5 = save_media(config, name, data)
    return store.insert(
        "data_files",
        tenant,
        {"checksum": md5, "size": size, "meta": {}, "created_at": now_iso(), "_key": key},
    )


def _spec(index: int, name: str, file_type: str, required: bool, ext: list[str]) -> Doc:
    return {
        "id": index,
        "name": name,
        "description": "",
        "file_type": file_type,
        "is_required": required,
        "is_primary": index == 1,
        "is_sequential": False,
        "function_type": "main" if index == 1 else "meta",
        "index": index,
        "extensions": ext,
        "configuration": {},
    }


def seed_demo(store: Store, config: Config, tenant: int, user: int) -> dict[str, Any]:
    """Create the demo objects in ``tenant`` and return their ids (``backend.demo``)."""
    now = now_iso()
    ids: dict[str, Any] = {}
    with store.tx():
        dc = store.insert(
            "data_collections",
            tenant,
            {
                "name": "Demo images",
                "description": "Three tiny images with JSON metadata",
                "category": "image",
                "meta": {},
                "access_level": "private",
                "is_archived": False,
                "created": now,
                "file_specifications": [
                    _spec(1, "image_1", "image", True, [".jpg", ".png"]),
                    _spec(2, "meta_1", "data", False, [".json"]),
                ],
            },
        )
        projects = [
            store.insert(
                "projects",
                tenant,
                {
                    "title": title,
                    "description": f"{title} (demo)",
                    "category": "image",
                    "data_collection": dc["id"],
                    "configuration": {"classes": ["cat", "dog"]},
                    "settings": {},
                    "access_level": "private",
                    "is_archived": archived,
                    "created": now_iso(),
                },
            )
            for title, archived in (("Demo project", False), ("Archived demo", True))
        ]
        files, units = [], []
        for i, colour in enumerate(((255, 0, 0), (0, 255, 0), (0, 0, 255)), start=1):
            img = _file(store, config, tenant, f"image_{i}.png", tiny_png(colour))
            meta_bytes = json.dumps({"index": i, "colour": list(colour)}).encode()
            meta = _file(store, config, tenant, f"meta_{i}.json", meta_bytes)
            files += [img, meta]
            entries = {
                spec: {
                    "data_file": f["id"],
                    "checksum": f["checksum"],
                    "size": f["size"],
                    "is_primary": spec == "image_1",
                    "file_name_original": f["_key"].split("/", 1)[1],
                    "meta": {},
                    "_key": f["_key"],
                }
                for spec, f in (("image_1", img), ("meta_1", meta))
            }
            units.append(
                store.insert(
                    "data_units",
                    tenant,
                    {
                        "data_collection": dc["id"],
                        "group": None,
                        "checksum": hashlib.sha1(
                            "".join(sorted(e["checksum"] for e in entries.values())).encode()
                        ).hexdigest(),
                        "meta": {"name": f"sample-{i}"},
                        "created": now_iso(),
                        "files": entries,
                    },
                )
            )
        main = projects[0]["id"]
        tags = [
            store.insert(
                "task_tags",
                tenant,
                {
                    "project": main,
                    "name": name,
                    "color": color,
                    "category": "project",
                    "description": "",
                    "meta": {},
                    "created": now_iso(),
                },
            )
            for name, color in (("urgent", "#ff0000"), ("review", "#00aa00"))
        ]
        tasks = []
        for i in range(6):
            ts = now_iso()
            tasks.append(
                store.insert(
                    "tasks",
                    tenant,
                    {
                        "project": main if i < 5 else projects[1]["id"],
                        "data_unit": units[i % 3]["id"],
                        "workshop": None,
                        "meta": {"index": i},
                        "data": {"annotations": [{"class": "cat"}]} if i == 0 else None,
                        "status": "completed" if i == 0 else "pending",
                        "is_discarded": i == 4,
                        "tags": [tags[0]["id"]] if i in (0, 1) else [],
                        "assignments": [],
                        "created": ts,
                        "modified": ts,
                    },
                )
            )
        assignments = []
        for i, (label, review) in enumerate(
            (("completed", "completed"), ("in_progress", "stand_by"), ("stand_by", "stand_by"))
        ):
            t = tasks[i]
            a = store.insert(
                "assignments",
                tenant,
                {
                    "project": t["project"],
                    "task": t["id"],
                    "user": user,
                    "reviewer": user if i == 0 else None,
                    "status_label": label,
                    "status_review": review,
                    "is_confirmed": i == 0,
                    "is_discarded": False,
                    "data": t["data"],
                    "tags": [tags[1]["id"]] if i == 0 else [],
                    "created": now_iso(),
                },
            )
            t["assignments"] = [a["id"]]
            store.update("tasks", t)
            assignments.append(a)
        plugin = store.insert(
            "plugins",
            tenant,
            {
                "code": "demo-plugin",
                "name": "Demo plugin",
                "category": "neural_net",
                "description": "A plugin that does nothing, quickly",
                "is_active": True,
                "is_public": False,
                "config": {"actions": {"train": {}, "inference": {}}},
                "created": now_iso(),
            },
        )
        archive_key, _, _ = save_media(config, "demo-plugin-1.0.0.zip", b"PK\x05\x06" + b"\0" * 18)
        release = store.insert(
            "plugin_releases",
            tenant,
            {
                "plugin": plugin["id"],
                "version": "1.0.0",
                "config": {"actions": {"train": {}, "inference": {}}},
                "requirements": ["numpy"],
                "debug": False,
                "readme": "# Demo plugin\n",
                "created": now_iso(),
                "_key": archive_key,
            },
        )
        t0 = time.time() - 60
        job = store.insert(
            "jobs",
            tenant,
            key=str(uuid.uuid4()) if config.job_ids == "uuid" else None,
            doc={
                "plugin_release": release["id"],
                "plugin": plugin["id"],
                "action": "train",
                "status": "SUCCEEDED",
                "params": {"epochs": 1},
                "progress_record": {"train": {"progress": 100}},
                "metrics_record": {"loss": 0.1},
                "result": {"ok": True},
                "meta": {},
                "created": iso_at(t0),
                "started": iso_at(t0 + 1),
                "finished": iso_at(t0 + 5),
                "_auto": False,
                "_ts": t0,
                "_fail": False,
            },
        )
        for offset, message, level in ((1, "Job started", "info"), (5, "Job finished", "success")):
            store.insert(
                "job_logs",
                tenant,
                {
                    "job": job["id"],
                    "message": message,
                    "level": level,
                    "datetime": iso_at(t0 + offset),
                },
            )
        serve_app = store.insert(
            "serve_applications",
            tenant,
            {
                "job": job["id"],
                "status": "RUNNING",
                "data": {"route": "/demo"},
                "created": now_iso(),
            },
        )
        model_key, model_size, _ = save_media(config, "demo-model.pt", b"demo model weights\n")
        model = store.insert(
            "models",
            tenant,
            {
                "name": "Demo model",
                "description": "",
                "category": "neural_net",
                "project": main,
                "plugin": "demo-plugin",
                "version": "1.0.0",
                "checkpoint": None,
                "configuration": {"epochs": 1},
                "size": model_size,
                "is_released": True,
                "created": now_iso(),
                "_key": model_key,
            },
        )
        storages = [
            store.insert(
                "storages",
                tenant,
                {
                    "name": name,
                    "category": category,
                    "provider": provider,
                    "configuration": conf,
                    "is_default": category == "internal",
                    "created": now_iso(),
                },
            )
            for name, category, provider, conf in (
                # the local object store behind presigned uploads (data_files/presigned_upload/)
                ("Local storage", "internal", "minio", {"bucket_name": f"tenant-{tenant}"}),
                ("Demo bucket", "external", "amazon_s3", {"bucket_name": "demo"}),
            )
        ]
        gtd = store.insert(
            "gt_datasets",
            tenant,
            {"name": "Demo ground truth", "project": main, "description": "", "created": now_iso()},
        )
        gtv = store.insert(
            "gt_versions",
            tenant,
            {
                "version": "v1",
                "ground_truth_dataset": gtd["id"],
                "description": "",
                "is_archived": False,
                "created": now_iso(),
            },
        )
        events = []
        splits = ("train", "validation", "test")
        for i, (unit, category) in enumerate(zip(units, splits, strict=True)):
            files_doc = {spec: {"_key": e["_key"], "meta": {}} for spec, e in unit["files"].items()}
            data = {"annotations": [{"class": ("cat", "dog", "cat")[i]}]}
            classes = [("cat", "dog", "cat")[i]]
            gt = store.insert(
                "ground_truths",
                tenant,
                {
                    "ground_truth_dataset": gtd["id"],
                    "project": main,
                    "ground_truth_dataset_versions": [gtv["id"]],
                    "data_unit": unit["id"],
                    "category": category,
                    "classes": classes,
                    "data": data,
                    "files": files_doc,
                    "created": now_iso(),
                },
            )
            events.append(
                store.insert(
                    "gt_events",
                    tenant,
                    {
                        "ground_truth": gt["id"],
                        "pgh_obj_id": gt["id"],
                        "pgh_label": "insert",
                        "ground_truth_dataset": gtd["id"],
                        "ground_truth_dataset_version": gtv["id"],
                        "data_unit": unit["id"],
                        "category": category,
                        "classes": classes,
                        "data": data,
                        "files": files_doc,
                        "created": now_iso(),
                    },
                )
            )
        agents = store.all("agents", tenant)
    ids.update(
        project=projects[0]["id"],
        projects=[p["id"] for p in projects],
        data_collection=dc["id"],
        data_files=[f["id"] for f in files],
        data_units=[u["id"] for u in units],
        tasks=[t["id"] for t in tasks],
        task=tasks[0]["id"],
        task_tags=[t["id"] for t in tags],
        assignments=[a["id"] for a in assignments],
        plugin=plugin["id"],
        plugin_code=plugin["code"],
        plugin_release=release["id"],
        job=job["id"],
        serve_application=serve_app["id"],
        model=model["id"],
        storages=[s["id"] for s in storages],
        ground_truth_dataset=gtd["id"],
        ground_truth_dataset_version=gtv["id"],
        ground_truth_events=[e["id"] for e in events],
        agent=agents[0]["id"] if agents else None,
        user=user,
    )
    return ids
