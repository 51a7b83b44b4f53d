"""Tests of the volunteers package."""
