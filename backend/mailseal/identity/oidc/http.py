"""The one outbound HTTP client to identity providers: JSON only, timeouts, a size cap, no redirects.

Only the addresses the settings name (and the endpoints their discovery documents name, checked by
`allowed_url`) are fetched: https, or http on loopback when `oidc_allow_loopback` is on (tests).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from mailseal.config import is_loopback_host
from mailseal.errors import FederatedSignInRefused

MAX_RESPONSE_BYTES = 256 * 1024
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def allowed_url(url: str, *, allow_loopback: bool) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return allow_loopback and parts.scheme == "http" and is_loopback_host(parts.hostname or "")


class ProviderHttp:
    """GET and POST to identity providers, each answer a JSON object of at most `MAX_RESPONSE_BYTES`."""

    def __init__(self, *, allow_loopback: bool = False, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._allow_loopback = allow_loopback
        self._client = httpx.AsyncClient(
            timeout=TIMEOUT, follow_redirects=False, transport=transport,
            headers={"accept": "application/json", "user-agent": "Mailseal"},
        )

    async def get_json(self, url: str) -> dict[str, Any]:
        return await self._request("GET", url)

    async def post_form(self, url: str, form: dict[str, str], *, auth: tuple[str, str] | None = None) -> dict[str, Any]:
        return await self._request("POST", url, data=form, auth=auth)

    async def close(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        if not allowed_url(url, allow_loopback=self._allow_loopback):
            raise FederatedSignInRefused("endpoint-refused", f"a provider endpoint that is not https: {url}")
        try:
            async with self._client.stream(method, url, **kwargs) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise FederatedSignInRefused("provider-answer", "the provider's answer is too large")
                status = response.status_code
        except httpx.HTTPError as exc:
            raise FederatedSignInRefused("provider-unreachable", f"{type(exc).__name__} from the provider") from None
        try:
            answer = msgspec.json.decode(bytes(body))
        except msgspec.DecodeError:
            answer = None
        if not isinstance(answer, dict):
            raise FederatedSignInRefused("provider-answer", f"the provider answered {status} without a JSON object")
        if status != 200:
            error = str(answer.get("error", ""))[:64]
            raise FederatedSignInRefused("provider-refused", f"the provider answered {status} {error}")
        return answer
