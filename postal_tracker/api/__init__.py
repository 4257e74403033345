"""The JSON API for scanners and devices, described at /api/v1/openapi.json."""
