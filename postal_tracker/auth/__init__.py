"""People, roles, scoping, login."""
