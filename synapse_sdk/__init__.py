"""synapse_sdk: a typed, ORM-style Python SDK for the Synapse backend."""

from synapse_sdk._exceptions import ClientError

__all__ = ["ClientError", "__version__"]

__version__ = "0.1.0.dev0"
