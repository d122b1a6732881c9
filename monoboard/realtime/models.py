"""The real-time app keeps no tables: streams read ``monoboard.core``'s event log."""
