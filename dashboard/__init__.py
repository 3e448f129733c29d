"""The dashboard: engineers' pages and stakeholders' KPI pages, read-only over storage."""
