"""gunicorn settings for the tests' live servers: each worker says when it has loaded the app and can answer, so that
a test starts only when every worker is listening (a worker still importing the app takes no requests, and one warm
worker would answer them all)."""


def post_worker_init(worker):
    print(f"worker ready {worker.pid}", flush=True)
