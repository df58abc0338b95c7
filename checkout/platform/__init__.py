"""The business's platform: orders created over the API, and the events sent to it."""
