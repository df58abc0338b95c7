"""SMS to USSD customers through Africa's Talking's SMS API (the outbox sender for USSD)."""

from sms.client import (
    AfricasTalkingSms,
    SmsConfig,
    SmsError,
    SmsRejected,
    SmsSent,
    SmsUnavailable,
    build_sms_http_client,
)
from sms.sender import SmsSender

__all__ = [
    "AfricasTalkingSms",
    "SmsConfig",
    "SmsError",
    "SmsRejected",
    "SmsSender",
    "SmsSent",
    "SmsUnavailable",
    "build_sms_http_client",
]
