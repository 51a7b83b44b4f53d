"""Tests of the donations package."""
