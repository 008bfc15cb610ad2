"""Neural networks on top of autograd."""
