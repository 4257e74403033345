"""Delivery of results: routes, scheduling on working days, run lists, proof
of delivery, failed attempts, hold for pickup and return to the agency."""
