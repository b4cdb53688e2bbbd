"""Mailseal: self-hostable protected e-mail that people can read on their phones."""

__version__ = "0.1.0"
