"""What citizens see without logging in: the tracking page (code and the last
four digits of their phone), and the reminder the day before a delivery."""
