"""The conversation with a customer: its model, the flow and the service that runs it."""
