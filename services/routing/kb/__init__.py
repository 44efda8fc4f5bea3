"""The knowledge base: its articles and embeddings, and the bot's decision (``domain``)."""
