"""The words about money M-Pesa reports outside the chat: credits, "I already paid", /verify."""
