"""Stand-ins for what cannot run here, kept apart from the product: a fake GitHub REST server, a
stand-in for the Hugging Face hub's HTTP API and a throw-away Docker registry, all on 127.0.0.1.
The tests, the benchmarks and the offline demo use them; no stage imports them."""
