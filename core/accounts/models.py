"""Tables of the accounts feature; identity itself (users, organizations, tokens) is core.models."""
