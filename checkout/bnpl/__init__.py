"""Buy Now, Pay Later: plan rules, offers, installments and their collection."""
