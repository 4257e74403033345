"""Manifests ("bảng kê"): bags of items handed over together (issue 4)."""
