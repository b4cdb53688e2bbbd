"""Test helpers shared by several test files: real servers on loopback, fixtures builders."""
