"""The Welsh tests reuse the web tests' browser-like client (``web``) and deployments."""

from tests.web.conftest import all_deployed, web  # noqa: F401
