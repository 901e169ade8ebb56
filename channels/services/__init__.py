"""The channels app's public functions. Other apps import from here, never from submodules."""

from channels.services.suppression import (
    EMAIL_CHANNELS,
    PHONE_CHANNELS,
    address_hash,
    is_suppressed,
    suppress_address,
    suppress_erased_contact,
    suppressed_channels,
    unsuppress_address,
)

__all__ = [
    "EMAIL_CHANNELS",
    "PHONE_CHANNELS",
    "address_hash",
    "is_suppressed",
    "suppress_address",
    "suppress_erased_contact",
    "suppressed_channels",
    "unsuppress_address",
]
