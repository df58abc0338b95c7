"""The web adapter: the payment link page, its live status and PDF receipts."""
