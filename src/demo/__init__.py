"""The deterministic demo market: generator, texts and loader."""
