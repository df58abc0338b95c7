"""Requests to Daraja's initiator APIs (Transaction Status, Reversal, B2C) and their answers.

Each request is stored before it is sent; Daraja answers at once that it took it and later
POSTs the outcome (a Result, or a QueueTimeOut). The desk matches each answer to its request
and hands it to the handler registered for the request's purpose; an answer that never comes
is asked for again, a bounded number of times, and never assumed.
"""
