"""Read-only queries behind the public pages: dashboard aggregates, exports, trust signals."""
