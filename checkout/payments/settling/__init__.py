"""Settling a payment from M-Pesa's answer: the pure rules, the settling transaction, who is
told what, and the callback bodies kept when they cannot settle."""
