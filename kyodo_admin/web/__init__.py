"""Non-admin pages: login, logout, error pages (and later the public entrance)."""
