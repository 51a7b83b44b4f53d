"""Recovery: incidents, areas, needs, projects and tasks, supervision, reports, public pages."""
