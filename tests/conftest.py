"""Tests run with the thread defaults the `morphosim` command sets (morphosim.threads.configure)."""

from morphosim.threads import configure

configure()
