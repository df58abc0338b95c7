"""Running workers: passes repeated forever, fields every log line carries."""
