"""The exchange: the Rust engine behind one lock, signing, markets, order lifecycle, exits."""
