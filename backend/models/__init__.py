"""The networks the engine reads features from; each loads its own weights."""
