"""Client entry points (``synapse_sdk.clients.backend.BackendClient``) and their errors."""
