"""Routes of the person service: translate HTTP to commands and views, nothing else."""
