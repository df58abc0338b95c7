"""lipa."""
