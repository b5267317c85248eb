"""The UMT network and its weights: architecture, checkpoint formats, the zoo, downloads, label sets."""
