"""Plain values (orders, payments, money, phones) and what the core needs from outside."""
