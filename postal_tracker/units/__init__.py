"""The office hierarchy: province → (district) → commune, and the offices in it."""
