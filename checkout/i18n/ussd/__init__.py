"""What USSD callers read: menu lines and the plan-care words, within USSD and SMS limits."""
