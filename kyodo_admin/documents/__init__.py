"""Documents: Japanese date and number formatting (and, later, Word rendering)."""
