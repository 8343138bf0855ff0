"""``python -m synapse_sdk.devserver``: run the local backend until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="synapse-devserver", description="Run the local Synapse v1 backend."
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="TCP port, 0 = any (default 8000)")
    p.add_argument("--data-dir", default=None, help="keep state here (default: temporary)")
    p.add_argument("--seed", choices=["demo"], default=None, help="load demo data")
    p.add_argument("--control", action="store_true", help="enable the _devserver/ endpoint")
    p.add_argument("--job-duration", type=float, default=1.0, help="simulated job seconds")
    p.add_argument(
        "--upload-expiry", type=float, default=86400.0, help="chunked upload expiry seconds"
    )
    p.add_argument(
        "--multipart-threshold",
        type=int,
        default=100 * 1024 * 1024,
        help="presigned uploads above this many bytes are multipart (default 100 MiB)",
    )
    p.add_argument(
        "--multipart-part-size",
        type=int,
        default=64 * 1024 * 1024,
        help="bytes per multipart part but the last (default 64 MiB)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the server; return the exit status."""
    args = _parser().parse_args(argv)
    from ._server import LocalBackend

    backend = LocalBackend(
        seed=args.seed,
        data_dir=args.data_dir,
        control=args.control,
        job_duration=args.job_duration,
        upload_expiry=args.upload_expiry,
        port=args.port,
        host=args.host,
        multipart_threshold=args.multipart_threshold,
        multipart_part_size=args.multipart_part_size,
    )
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    try:
        backend.start()
    except OSError as exc:
        print(
            f"synapse-devserver: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        lines = [
            f"Synapse local backend listening on {backend.url}",
            f"  base URL:     {backend.url}/",
            f"  api token:    {backend.api_token}   (header Synapse-Access-Token: Token <t>)",
            f"  agent token:  {backend.agent_token}",
            f"  tenant:       {backend.tenant}",
            f"  data dir:     {backend.data_dir}" + ("" if args.data_dir else " (temporary)"),
        ]
        if backend.demo:
            lines.append(f"  demo ids:     {backend.demo}")
        if args.control:
            lines.append(f"  control:      {backend.url}/_devserver/")
        lines.append("Press Ctrl-C to stop.")
        print("\n".join(lines), flush=True)
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        backend.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
