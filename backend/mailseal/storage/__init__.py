"""SQLite storage: one schema with numbered migrations, one writer, repositories that return Structs."""

from mailseal.storage.database import Database, open_database

__all__ = ["Database", "open_database"]
