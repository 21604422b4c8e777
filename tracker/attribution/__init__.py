"""Country attribution: publisher registry, offline location parsing, lineage roots, with provenance."""
