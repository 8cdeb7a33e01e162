"""Collection: the public form and the submission path that stores each response exactly once."""
