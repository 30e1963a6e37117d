"""Private PostgreSQL and RabbitMQ servers for `local`, in a folder of the checkout, for a
machine where both are installed but not running."""
