"""Op kernels by family; each module attaches its Tensor methods on import."""
