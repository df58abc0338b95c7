"""Checking a customer's M-Pesa code ("I already paid", staff /verify) with Transaction Status:
the service, the codes' rules and answers, and the staff buttons' data."""
