"""The test harness: per-run databases and queues on this machine's PostgreSQL and RabbitMQ
(`backends`), the services as real processes (`stack`), shared by tests/, bench/ and faults/.
None of it ships: the product packages never import it."""
