"""Test tooling: throwaway database servers and the pytest fixtures around them."""
