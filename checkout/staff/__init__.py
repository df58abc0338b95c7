"""Staff commands and the reports they read."""
