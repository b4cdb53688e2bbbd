"""The push room's settings, taken from `Settings` once at start."""

from __future__ import annotations

import msgspec

from mailseal.config import Settings


class PushConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Delivery settings. The defaults suit production; tests shorten delays and timeouts.

    `queue_size` and `per_device` cap the durable queue (in all, and per device); `lease_seconds` is how
    long a worker holds a claimed row; `poll_seconds` how often a worker looks for rows another process
    queued (one in this process wakes it at once).
    """

    contact: str
    public_url: str
    services: tuple[str, ...] = ()
    allow_loopback: bool = False
    loopback_hosts: tuple[str, ...] = ("127.0.0.1",)
    allow_local_contact: bool = False
    ttl: int = 86400
    concurrency: int = 8
    queue_size: int = 100000
    per_device: int = 100
    lease_seconds: float = 60.0
    poll_seconds: float = 0.25
    batch: int = 64
    max_pending_deliveries: int = 1000
    max_attempts: int = 4
    retry_base_delay: float = 1.0
    retry_max_delay: float = 60.0
    connect_timeout: float = 10.0
    total_timeout: float = 10.0
    max_failures: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> PushConfig:
        return cls(
            contact=settings.push_contact,
            public_url=settings.base_url,
            services=settings.push_services,
            allow_loopback=settings.push_allow_loopback,
            allow_local_contact=settings.push_allow_loopback,
            queue_size=settings.push_queue_max,
            per_device=settings.push_queue_per_device,
            lease_seconds=settings.push_queue_lease_seconds,
        )
