"""Money that reaches the business's till outside the chat: M-Pesa's own record of it.

Payments made straight to the paybill or till (C2B), the shortcode's statement (Pull
Transactions) and M-Pesa's answer about one transaction code (Transaction Status) all land
here in one ledger, each transaction id once: credited to an order, matched to a payment Lipa
asked for, or waiting in the staff's queue.
"""
