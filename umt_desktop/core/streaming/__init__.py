"""Live inference: frame sources, the sliding-window engine with smoothing, and action timelines."""
