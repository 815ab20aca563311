"""The HTTP API (API.md), one blueprint per resource."""
