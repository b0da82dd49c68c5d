"""clobnode: a based zk-rollup node for a central limit order book exchange on Ethereum."""

__version__ = "0.1.0"
