"""What a trader uses: the Python client, keys, L1 actions, the trader's CLI."""
