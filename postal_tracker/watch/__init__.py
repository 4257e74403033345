"""The watchdogs: items held too long, offers nobody confirmed, results past
their date, and the end-of-day balance of every postal worker's bag; each
raises an alert for the supervisors, once."""
