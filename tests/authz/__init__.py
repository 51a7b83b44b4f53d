"""The authorization matrix: every route × twelve role states, and object-level checks."""
