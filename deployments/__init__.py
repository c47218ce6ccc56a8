"""Deployment declarations (the scheduled sweep, served deployments) live here."""
