"""The engine layer: pure Python over SpiffWorkflow (no Flask, no SQL)."""
