"""Shared test helpers: videos written in the test, mini Kinetics datasets, the CLI as a subprocess, loopback ports,
the window driven through its menus (`gui`)."""
