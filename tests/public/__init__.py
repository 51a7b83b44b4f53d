"""Tests of the public transparency pages and open data."""
