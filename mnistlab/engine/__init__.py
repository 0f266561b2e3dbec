"""Training: the training loop and its cache, the Dask worker, the embedded cluster, and the jobs
that a page submits, follows and stops."""
