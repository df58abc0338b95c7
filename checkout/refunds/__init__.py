"""Refunds and reversals: asked by one staff user, approved by another, sent once."""
