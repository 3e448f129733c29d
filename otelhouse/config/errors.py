"""The one error configuration raises: its message names the file, key and what was expected."""


class ConfigError(ValueError):
    """Configuration is invalid; the message says where and what to do."""
