"""The node's roles besides following L1: the proposer, the prover, the settler."""
