"""Read queries: one function per question, user input always bound as parameters."""
