"""The knowledge base: articles, their embeddings and the bot's answers."""
