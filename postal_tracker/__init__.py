"""Postal Tracker: the chain of custody of citizens' dossiers carried by post.

Kept empty, so that importing a pure module (``postal_tracker.s10``) loads
neither Flask nor the database. The app is built by
``postal_tracker.app:create_app``; the console script is ``postal_tracker.app:main``.
"""
