"""Data availability: KZG blobs and sidecars, the Reed-Solomon DA store, blob equivalence."""
