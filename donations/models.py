"""Tables of the donations domain."""
