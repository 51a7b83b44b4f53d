"""Donations: capacity offers, in-kind pledges, money, disbursements, the public ledger."""
