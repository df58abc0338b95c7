"""What plans look like to customers and staff: the offer, schedules, reminders and the
plan-care choices, as replies with their buttons (the words come from checkout.i18n.plans)."""
