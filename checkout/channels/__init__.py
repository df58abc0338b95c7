"""Channel logic that lives in the core: USSD sessions and screens, GSM text."""
