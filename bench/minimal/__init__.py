"""The floor for the Channels scenarios: the least a Channels consumer on daphne can do."""
