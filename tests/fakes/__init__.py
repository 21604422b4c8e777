"""Local stand-ins for the APIs the tracker talks to (tests and benchmarks import them)."""
