"""The composition root in parts: what :func:`lipa.app.open_lipa` builds a process from.

- :mod:`lipa.build.credentials`: Daraja's credentials, the callback and web-form secrets.
- :mod:`lipa.build.policies`: the rules and timings the services are given, from the settings.
- :mod:`lipa.build.mpesa`: the Daraja client (or the in-process simulator) and its gateways.
- :mod:`lipa.build.senders`: one outbox sender per channel (SMS, events, the web, the log).
- :mod:`lipa.build.services`: the checkout's services, wired on one unit-of-work factory.

Only this package and :mod:`lipa.app` read the settings to build things; each component is
handed what it needs, and nothing is assigned onto a component after it is built.
"""
