"""What every layer of the service shares: settings (``config``), problem types (``problems``), what a quarter
is (``quarter``), CSV text (``csvtext``). Imports only the standard library and ``workflows``."""
