"""Load tests, benchmark harnesses and post-run invariant checks (each runnable alone)."""
