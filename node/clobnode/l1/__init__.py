"""L1: the JSON-RPC client, the Inbox watcher, derivation of the input stream, the contracts."""
