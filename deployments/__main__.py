"""`python -m deployments`: serve the scheduled deployments until stopped."""

from prefect import serve

from deployments import declarations
from service.app import get_app

serve(*declarations(get_app()), print_starting_message=True)
