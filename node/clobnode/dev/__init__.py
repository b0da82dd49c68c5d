"""Development: the embedded anvil devnet, demo roles, benchmarks."""
