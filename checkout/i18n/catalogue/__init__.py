"""The text catalogue's tables, merged by :mod:`checkout.i18n.texts`: how payments ended,
plans, push limits, the staff's notices, USSD and SMS wording, "I already paid".

Only :mod:`checkout.i18n` reads them (an import-linter contract says so)."""
