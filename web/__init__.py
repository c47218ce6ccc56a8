"""The workbench: server-rendered pages for the people who act (departments, the center's
clerks, the leadership), served with the HTTP API by the same FastAPI application."""
