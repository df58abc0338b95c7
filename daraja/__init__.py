"""daraja."""
