"""End-to-end pipelines, benchmarks and cluster batch jobs."""
