"""The emulator layer: a loopback HTTP server emulating every service imgx-kit talks to."""
