"""The identity room: one-time passcodes, passkeys, sessions, devices and their rate limits.

The public surface is what this module exports; everything else is private to the room.
"""

from mailseal.identity.address import normalise_address
from mailseal.identity.limits import Limits
from mailseal.identity.models import CodeRequested, Device, PasscodeSender, Session, SessionGrant
from mailseal.identity.passkeys import PasskeyService, PasskeyView
from mailseal.identity.service import IdentityService
from mailseal.identity.user_agent import device_name_from_user_agent

__all__ = [
    "CodeRequested",
    "Device",
    "IdentityService",
    "Limits",
    "PasscodeSender",
    "PasskeyService",
    "PasskeyView",
    "Session",
    "SessionGrant",
    "device_name_from_user_agent",
    "normalise_address",
]
