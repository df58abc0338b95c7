"""Local fakes of the outside services Lipa talks to, for tests and benchmarks.

Each fake is imported from its own module: :mod:`lipa_testing.telegram_api` (the Bot API),
:mod:`lipa_testing.whatsapp_api`, :mod:`lipa_testing.sms_api`, :mod:`lipa_testing.gateway`
(a recording M-Pesa gateway), :mod:`lipa_testing.clocks` and :mod:`lipa_testing.local_server`.
"""
