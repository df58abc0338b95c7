"""The words about payments: settled, refused, held back by a push limit, the other way to pay."""
