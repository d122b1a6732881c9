"""End-to-end tests that drive the product in a real browser."""
