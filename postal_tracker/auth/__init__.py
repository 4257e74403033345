"""People: users, their roles and the units they act for, passwords, login."""
