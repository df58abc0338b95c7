"""The plans' words: what the plan desk, ledger and collector decided, told to customers and
staff (the offer, ``/plans``, reminders, outcomes, answers, and the buttons' labels)."""
