"""One module per scenario; each exposes NAME, CLAIM and run(ctx) -> Result."""
