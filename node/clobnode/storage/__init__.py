"""Durable state: the node's SQLite store and the state tree's leaves and journal."""
