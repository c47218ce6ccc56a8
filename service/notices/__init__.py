"""The notice pipeline: outbox, channels, links, delivery, digests."""
