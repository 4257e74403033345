"""The scanner for phones (camera, scanner-input field, offline queue) and
"what I hold now" for people and offices."""
