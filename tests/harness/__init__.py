"""The test harness: per-run databases and queues on this machine's PostgreSQL and RabbitMQ
(`backends`), one service as a real process (`process`) and the three wired together
(`stack`), shared by tests/, bench/ and faults/. None of it ships: the product packages never
import it."""
