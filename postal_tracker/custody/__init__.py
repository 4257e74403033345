"""The heart: events, hash chain, handovers, custody."""
