"""Where the command line's connection settings come from: flags, environment, profiles.

A profile is a section of an INI file (``configparser``; Python 3.10 has no TOML reader)::

    [default]
    base_url = https://api.example.com
    api_token = ...

    [staging]
    base_url = https://staging.example.com
    api_token = ...
    tenant = acme

The file is ``--config PATH``, else ``$SYNAPSE_CONFIG``, else
``$XDG_CONFIG_HOME/synapse/config.ini`` (``~/.config/synapse/config.ini``). The profile is
``--profile NAME``, else ``$SYNAPSE_PROFILE``, else ``default`` when the file has one. Each value
is taken from the first that has it: the flag, the environment variable, the profile.
"""

from __future__ import annotations

import argparse
import configparser
import os
import stat
import sys
from pathlib import Path

import attrs

from synapse_sdk import BackendClient

__all__ = [
    "KEYS",
    "CommandError",
    "Settings",
    "UsageError",
    "config_path",
    "make_client",
    "settings",
]

#: Profile key -> environment variable.
KEYS = {
    "base_url": "SYNAPSE_BASE_URL",
    "api_token": "SYNAPSE_API_TOKEN",
    "agent_token": "SYNAPSE_AGENT_TOKEN",
    "tenant": "SYNAPSE_TENANT",
}


class UsageError(Exception):
    """Bad arguments or configuration: exit status 2."""


class CommandError(Exception):
    """An expected failure with a message of its own (a project that does not exist): exit 1."""


@attrs.frozen
class Settings:
    """The resolved connection settings, and where the profile came from (for messages)."""

    base_url: str | None
    api_token: str | None
    agent_token: str | None
    tenant: str | None
    profile: str | None = None
    source: str | None = None


def config_path(flag: str | None) -> Path:
    """The configuration file to read (it may not exist)."""
    if flag:
        return Path(flag).expanduser()
    if os.environ.get("SYNAPSE_CONFIG"):
        return Path(os.environ["SYNAPSE_CONFIG"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "synapse" / "config.ini"


def _profile(path: Path, name: str | None, explicit: bool) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
    try:
        read = parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise UsageError(f"cannot read the configuration file {path}: {exc}") from None
    if not read:
        if explicit:
            raise UsageError(
                f"profile {name!r} asked for, but there is no configuration file {path}"
            )
        return {}
    if name is None or not parser.has_section(name):
        if explicit:
            known = ", ".join(parser.sections()) or "none"
            raise UsageError(f"{path} has no profile {name!r} (profiles: {known})")
        return {}
    values = dict(parser.items(name))
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise UsageError(
            f"profile {name!r} in {path} has unknown keys {', '.join(unknown)} "
            f"(valid: {', '.join(KEYS)})"
        )
    if any(k.endswith("token") for k in values) and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            sys.stderr.write(
                f"synapse: warning: {path} holds a token and other users can read it "
                f"(chmod 600 {path})\n"
            )
    return values


def settings(args: argparse.Namespace) -> Settings:
    """Resolve every setting: flag > environment variable > profile."""
    named = args.profile or os.environ.get("SYNAPSE_PROFILE") or None
    path = config_path(args.config)
    values = _profile(path, named or "default", explicit=named is not None)
    flags = {"base_url": args.base_url, "api_token": args.token}

    def pick(key: str) -> str | None:
        flag: str | None = flags.get(key)
        if flag is not None:
            return flag
        return os.environ.get(KEYS[key]) or values.get(key) or None

    return Settings(
        base_url=pick("base_url"),
        api_token=pick("api_token"),
        agent_token=pick("agent_token"),
        tenant=pick("tenant"),
        profile=(named or "default") if values else None,
        source=str(path) if values else None,
    )


def make_client(args: argparse.Namespace) -> BackendClient:
    """A client from the resolved settings (a usage error when something is missing or bad)."""
    s = settings(args)
    try:
        return BackendClient(
            s.base_url, api_token=s.api_token, agent_token=s.agent_token, tenant=s.tenant
        )
    except (TypeError, ValueError) as exc:
        raise UsageError(
            f"{exc}; the command line also takes --base-url and --token, or a profile "
            f"(--profile NAME in {config_path(args.config)})"
        ) from None
