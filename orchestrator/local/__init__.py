"""`orchestrator local`: the three services (and, when wanted, a private PostgreSQL and
RabbitMQ) as supervisord programs on this machine."""
