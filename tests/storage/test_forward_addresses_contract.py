"""The forward-address repository on both engines: tokens, owners in the order they joined, a token swap."""

from __future__ import annotations

from mailseal.storage import Store


async def test_owners_in_joining_order_and_a_token_replaced(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.forward_addresses.add_token("tokenone", at=10)
        await tx.forward_addresses.add_owner("zed@example.org", "tokenone", at=10)
        await tx.forward_addresses.add_owner("amy@example.org", "tokenone", at=10)  # same second: after zed
        await tx.forward_addresses.add_owner("bob@example.org", "tokenone", at=5)
    assert await store.forward_addresses.owners("tokenone") == ("bob@example.org", "zed@example.org", "amy@example.org")
    assert await store.forward_addresses.tokens_of(["amy@example.org", "nobody@example.org"]) == {
        "amy@example.org": "tokenone"
    }
    assert await store.forward_addresses.tokens_of([]) == {}
    await store.forward_addresses.replace_token("tokenone", "tokentwo", at=20)
    assert await store.forward_addresses.owners("tokenone") == ()
    assert len(await store.forward_addresses.owners("tokentwo")) == 3
