"""Users, roles, sessions and API tokens of the dashboard; authorization in one middleware."""
