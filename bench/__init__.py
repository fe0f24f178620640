"""The benchmark suite of /identify: `python -m bench` (make bench) or `python -m bench --smoke`."""
