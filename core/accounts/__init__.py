"""Accounts and organizations: registration, sign-in, tokens, verification, admin pages."""
