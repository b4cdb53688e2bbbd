"""The message flows: protect (seal and store), ingest (share, forward), open for display, inbox.

Each flow is a function of `MessageDeps`; the flows never unwrap keys themselves: they ask `keys`.
"""

from mailseal.messages.deps import MessageDeps, Notifier

__all__ = ["MessageDeps", "Notifier"]
