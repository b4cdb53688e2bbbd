"""Federated sign-ins under way on both engines: taken once, forgotten when expired."""

from __future__ import annotations

import asyncio

import pytest

from mailseal.storage import SignInFlow, Store

pytestmark = pytest.mark.engines


def flow(state: str, expires_at: int) -> SignInFlow:
    return SignInFlow(state_hash=state, binding_hash="b" * 64, provider="google", nonce="n", code_verifier="v" * 43,
                      return_to="/m/abc", expires_at=expires_at)


async def test_a_flow_is_taken_once(store: Store) -> None:
    await store.sign_in_flows.add(flow("s1", 500))
    assert await store.sign_in_flows.take("s1") == flow("s1", 500)
    assert await store.sign_in_flows.take("s1") is None


async def test_two_callbacks_at_once_take_one_flow(store: Store) -> None:
    await store.sign_in_flows.add(flow("s2", 500))
    taken = await asyncio.gather(*(store.sign_in_flows.take("s2") for _ in range(4)))
    assert sum(found is not None for found in taken) == 1


async def test_expired_flows_are_forgotten_and_not_counted(store: Store) -> None:
    await store.sign_in_flows.add(flow("old", 100))
    await store.sign_in_flows.add(flow("new", 300))
    assert await store.sign_in_flows.live_count(now=100) == 1
    await store.sign_in_flows.forget_expired(now=100)
    assert await store.sign_in_flows.take("old") is None
    assert await store.sign_in_flows.take("new") is not None
