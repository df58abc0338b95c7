"""The flow's steps by area (paying, orders, plans, "I already paid") on the call in hand."""
