"""Read models: the matter document, lists, queues, statistics, the report, Prefect events."""
