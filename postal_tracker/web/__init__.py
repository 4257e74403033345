"""Pages that belong to no one feature: home, health, error pages."""
