"""Retention: scheduled daily, weekly and monthly log rolling into verified archives."""
