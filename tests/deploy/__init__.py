"""Deployment tests: nginx and PgBouncer in front of the app, as platform/deploy/ sets them up."""
