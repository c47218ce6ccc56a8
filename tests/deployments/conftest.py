from tests.fixtures import prefect_api, store_url, world  # noqa: F401
