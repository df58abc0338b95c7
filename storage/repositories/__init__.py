"""Repositories: the only code that writes SQL; each implements a protocol of
checkout.domain.ports."""
