"""Whistle's HTTP API: an interface beside the CLI, calling the same service layer.

A top-level folder of its own because it is a separate deliverable with its own dependencies
(FastAPI, uvicorn) and its own process (`whistle api`); `whistle/` stays the layer every
interface shares, and nothing there imports the API.
"""
