"""Public transparency: the incident list and dashboard, charts, map, open data, trust signals."""
