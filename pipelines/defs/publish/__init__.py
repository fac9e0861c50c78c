"""Publish: the read copy of the warehouse that the dashboard reads."""
