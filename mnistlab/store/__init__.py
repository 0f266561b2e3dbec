"""What lasts: runs, labelled drawings, who owns them, and the database schema."""
