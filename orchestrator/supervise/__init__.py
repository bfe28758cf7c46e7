"""Starting the trainer, reading it, stopping it, and explaining how it ended."""
